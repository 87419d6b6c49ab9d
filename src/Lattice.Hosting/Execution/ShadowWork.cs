using Lattice.Hosting.Models;
using Lattice.Hosting.Repository;
using Microsoft.AspNetCore.Http;

namespace Lattice.Hosting.Execution;

/// <summary>A shadow prediction queued to run after the response was sent, on the request's inputs.</summary>
internal sealed class ShadowWork(ModelExecutor executor, ServedModel model, LoadedVersion shadow, ModelInput[] inputs, float[] primaryOutputs, LoadedVersion primary)
    : IThreadPoolWorkItem
{
    /// <summary>Schedules the shadow call for when the response completes; it cannot change or delay the response.</summary>
    public static void Schedule(HttpContext context, ModelExecutor executor, ServedModel model, in InferenceResult result, ModelInput[] inputs, float[] outputs)
    {
        if (result.Shadow is not { } shadow || result.Version is not { } primary)
        {
            return;
        }

        // Copies: the request's buffers may be reused once the response is done.
        var work = new ShadowWork(executor, model, shadow, Copy(inputs), (float[])outputs.Clone(), primary);
        context.Response.OnCompleted(static state =>
        {
            ThreadPool.UnsafeQueueUserWorkItem((ShadowWork)state, preferLocal: false);
            return Task.CompletedTask;
        }, work);
    }

    public void Execute() => executor.RunShadow(model, shadow, inputs, primaryOutputs, primary);

    private static ModelInput[] Copy(ModelInput[] inputs)
    {
        var copy = new ModelInput[inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i];
            copy[i] = input.IsText
                ? ModelInput.FromText(input.Text)
                : ModelInput.FromFeatures(input.Features.ToArray());
        }

        return copy;
    }
}
