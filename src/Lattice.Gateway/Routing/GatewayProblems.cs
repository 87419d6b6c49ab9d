using System.Globalization;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Mvc;

namespace Lattice.Gateway.Routing;

/// <summary>The gateway's own error answers, all RFC 9457 ProblemDetails with ServiceDefaults' stable types.</summary>
internal sealed class GatewayProblems(IProblemDetailsService problemDetails)
{
    public ValueTask WriteAsync(HttpContext context, int status, string title, string? detail = null, string? type = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        return problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Type = type ?? ProblemTypes.ForStatus(status),
                Title = title,
                Detail = detail,
            },
        });
    }

    /// <summary>429 or 503 with a Retry-After in whole seconds (at least one).</summary>
    public ValueTask WriteRetryAfterAsync(HttpContext context, int status, TimeSpan retryAfter, string title, string detail)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, status, title, detail);
    }
}
