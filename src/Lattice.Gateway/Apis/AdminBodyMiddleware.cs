using Lattice.ServiceDefaults.Compression;
using Lattice.ServiceDefaults.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.Features;

namespace Lattice.Gateway.Apis;

/// <summary>
/// Refuses, before an endpoint of the gateway's own API binds it, a body the JSON binder would misread, with the 415s a
/// Lattice service gives: one in a <c>Content-Encoding</c> (the binder ignores the header, so a body labelled
/// <c>zstd</c> was parsed as it came and a real gzip one failed as malformed JSON; admin bodies are tiny, so they are
/// not worth decoding: <c>Accept-Encoding: identity</c>), and one in a charset other than UTF-8 (the binder transcoded
/// it). It runs after <see cref="AdminScopeMiddleware"/>: a caller who may not call the API is told only that.
/// </summary>
internal sealed class AdminBodyMiddleware(RequestDelegate next)
{
    private const string Identity = "identity";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresAdminScope>() is null
            || context.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: true })
        {
            return next(context);
        }

        var request = context.Request;
        if (!JsonCharset.IsUtf8(request.ContentType, out var charset))
        {
            return ProblemAsync(context, ProblemTitles.UnsupportedMediaType, JsonCharset.NotUtf8(charset!));
        }

        if (ContentCodings.IsEncoded(request.Headers.ContentEncoding))
        {
            context.Response.Headers.AcceptEncoding = Identity; // RFC 9110 §15.5.16
            return ProblemAsync(context, ProblemTitles.UnsupportedContentEncoding,
                "The gateway's own API takes bodies without a Content-Encoding; send the JSON uncompressed.");
        }

        return next(context);
    }

    private static Task ProblemAsync(HttpContext context, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: title, type: ProblemTypes.UnsupportedMediaType)
            .ExecuteAsync(context);
}
