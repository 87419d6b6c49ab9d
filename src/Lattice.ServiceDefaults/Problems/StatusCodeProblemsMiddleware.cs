using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// Gives every bodiless 4xx/5xx answer (no route, wrong method, a bare status result) a ProblemDetails body: what
/// <c>UseStatusCodePages()</c> with <c>AddProblemDetails()</c> does, with the same rules (the response has not
/// started and has neither a Content-Length nor a Content-Type; an endpoint with
/// <see cref="ISkipStatusCodePagesMetadata"/> or a request whose <see cref="IStatusCodePagesFeature"/> is disabled is
/// left alone), always as JSON (see <see cref="JsonProblemDetailsService"/>).
/// </summary>
/// <remarks>
/// Why not UseStatusCodePages itself: on every request, also the successful ones, it allocates and registers its
/// feature, looks up endpoint metadata twice and runs an async state machine; profiled at about 1.5 % of a model
/// service's CPU under load. Here a successful request costs one status check. The price: no
/// <see cref="IStatusCodePagesFeature"/> exists unless a component sets one, so code that wants a bodiless error to
/// stay bodiless calls <see cref="StatusCodeProblems.Skip"/> (or sets the feature itself) instead of disabling an
/// existing feature.
/// </remarks>
internal sealed class StatusCodeProblemsMiddleware(RequestDelegate next, IProblemDetailsService problems)
{
    public Task InvokeAsync(HttpContext context)
    {
        var pending = next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AfterAsync(pending, context);
        }

        return NeedsBody(context) ? WriteAsync(context) : Task.CompletedTask;
    }

    private async Task AfterAsync(Task pending, HttpContext context)
    {
        await pending;
        if (NeedsBody(context))
        {
            await WriteAsync(context);
        }
    }

    private static bool NeedsBody(HttpContext context)
    {
        var response = context.Response;
        return response.StatusCode is >= 400 and < 600
            && !response.HasStarted
            && response.ContentLength is null
            && string.IsNullOrEmpty(response.ContentType)
            && context.Features.Get<IStatusCodePagesFeature>() is not { Enabled: false }
            && context.GetEndpoint()?.Metadata.GetMetadata<ISkipStatusCodePagesMetadata>() is null;
    }

    // JSON whatever the client's Accept says (JsonProblemDetailsService).
    private async Task WriteAsync(HttpContext context) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = context.Response.StatusCode, Detail = Detail(context) },
        });

    /// <summary>
    /// What the client can do about the answers routing gives on its own: a wrong method (405, with the
    /// <c>Allow</c> header routing set) or a body of a type the endpoint does not accept (415).
    /// </summary>
    internal static string? Detail(HttpContext context)
    {
        var request = context.Request;
        switch (context.Response.StatusCode)
        {
            case StatusCodes.Status405MethodNotAllowed:
                var allow = context.Response.Headers.Allow.ToString();
                return allow.Length == 0
                    ? $"{request.Method} is not allowed here."
                    : $"{request.Method} is not allowed here; allowed: {allow}.";
            case StatusCodes.Status415UnsupportedMediaType when !string.IsNullOrEmpty(request.ContentType):
                return $"This endpoint does not accept a body of Content-Type '{request.ContentType}'; its OpenAPI description says which it takes (Lattice's APIs take application/json).";
            default:
                return null;
        }
    }
}

/// <summary>Control over the ProblemDetails body that service defaults give a bodiless error answer.</summary>
public static class StatusCodeProblems
{
    /// <summary>Keeps this request's bodiless error status as it is (the gateway relays upstream answers untouched).</summary>
    public static void Skip(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Features.Set<IStatusCodePagesFeature>(new StatusCodePagesFeature { Enabled = false });
    }
}
