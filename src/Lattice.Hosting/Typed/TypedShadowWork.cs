using System.Diagnostics;
using Lattice.Hosting.Repository;
using Microsoft.AspNetCore.Http;

namespace Lattice.Hosting.Typed;

/// <summary>A typed call queued to run on the shadow version once the response is complete.</summary>
internal sealed class TypedShadowWork<TModel, TRequest, TResult>(
    TypedModel<TModel> model,
    LoadedVersion shadow,
    TRequest request,
    ModelOperation<TModel, TRequest, TResult> operation,
    List<string?> primaryLabels,
    ActivityTraceId traceId) : IThreadPoolWorkItem
    where TModel : class
{
    /// <summary>Schedules the shadow call for when the response completes; it cannot change or delay the response.</summary>
    public static void Schedule(
        HttpContext context, TypedModel<TModel> model, LoadedVersion shadow, TRequest request,
        ModelOperation<TModel, TRequest, TResult> operation, List<string?> primaryLabels, ActivityTraceId traceId)
    {
        // Typed requests are immutable records built for this call, so the shadow may use them after the response.
        var work = new TypedShadowWork<TModel, TRequest, TResult>(model, shadow, request, operation, primaryLabels, traceId);
        context.Response.OnCompleted(static state =>
        {
            ThreadPool.UnsafeQueueUserWorkItem((IThreadPoolWorkItem)state, preferLocal: false);
            return Task.CompletedTask;
        }, work);
    }

    public void Execute() => model.RunShadow(shadow, request, operation, primaryLabels, traceId);
}
