using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Lattice.ServiceDefaults.Limits;

/// <summary>
/// Answers a request whose line or headers cross <see cref="RequestHeadLimitsOptions"/> with a 414 or 431
/// ProblemDetails that says which limit and by how much, before anything else reads the request; under a path with
/// a <see cref="PathErrorShape"/> (the Open Inference Protocol's <c>/v2</c>), in that shape instead.
/// </summary>
internal sealed class RequestHeadLimitsMiddleware(
    RequestDelegate next, IOptions<RequestHeadLimitsOptions> options, IProblemDetailsService problems, IEnumerable<PathErrorShape> shapes)
{
    private readonly RequestHeadLimitsOptions _limits = options.Value;
    private readonly PathErrorShape[] _shapes = [.. shapes];

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var lineBytes = RequestLineBytes(context);
        if (lineBytes > _limits.MaxRequestLineBytes)
        {
            return WriteAsync(context, StatusCodes.Status414UriTooLong, ProblemTypes.UriTooLong, ProblemTitles.UriTooLong,
                $"The request line (method, target and protocol) is {lineBytes} bytes; the limit is {_limits.MaxRequestLineBytes}.");
        }

        var (headerBytes, headerLines) = Measure(request.Headers);
        if (headerLines > _limits.MaxRequestHeaderCount)
        {
            return WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge, ProblemTitles.HeadersTooLarge,
                $"The request has {headerLines} header lines; the limit is {_limits.MaxRequestHeaderCount}.");
        }

        if (headerBytes > _limits.MaxRequestHeadersBytes)
        {
            return WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge, ProblemTitles.HeadersTooLarge,
                $"The request headers are {headerBytes} bytes; the limit is {_limits.MaxRequestHeadersBytes}.");
        }

        return next(context);
    }

    /// <summary>The request line as Kestrel counts it for <c>MaxRequestLineSize</c>, less the line end.</summary>
    internal static long RequestLineBytes(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        long targetLength = string.IsNullOrEmpty(target)
            ? request.PathBase.Value?.Length + request.Path.Value?.Length + request.QueryString.Value?.Length ?? 0
            : target.Length;
        return request.Method.Length + 1 + targetLength + 1 + request.Protocol.Length;
    }

    /// <summary>Bytes (names, values and 4 per line) and lines of the request headers.</summary>
    internal static (long Bytes, int Lines) Measure(IHeaderDictionary headers)
    {
        long bytes = 0;
        var lines = 0;
        foreach (var header in headers)
        {
            var values = header.Value;
            var count = Math.Max(values.Count, 1);
            lines += count;
            bytes += (long)(header.Key.Length + 4) * count;
            foreach (var value in values)
            {
                bytes += value?.Length ?? 0;
            }
        }

        return (bytes, lines);
    }

    private async Task WriteAsync(HttpContext context, int status, string type, string title, string detail)
    {
        foreach (var shape in _shapes)
        {
            if (context.Request.Path.StartsWithSegments(shape.Prefix, StringComparison.OrdinalIgnoreCase))
            {
                await shape.WriteAsync(context, status, detail);
                return;
            }
        }

        context.Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Type = type, Title = title, Detail = detail },
        });
    }
}
