using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// Turns every unhandled exception into a ProblemDetails response: domain problems keep their
/// status and type, malformed requests become 4xx, anything else a 500 without a stack trace
/// (the exception message is shown only in Development).
/// </summary>
internal sealed partial class ProblemExceptionHandler(
    IProblemDetailsService problemDetails,
    IHostEnvironment environment,
    ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (IsClientGone(exception, httpContext))
        {
            // The client went away: nobody is left to read a body, and it is not a server error to log. 499 is nginx's
            // "client closed request".
            httpContext.Response.StatusCode = 499;
            return true;
        }

        var problem = exception switch
        {
            LatticeProblemException domain => FromDomain(domain),
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Type = ProblemTypes.ForStatus(bad.StatusCode),
                Title = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => ProblemTitles.PayloadTooLarge,
                    StatusCodes.Status408RequestTimeout => ProblemTitles.RequestTimeout, // a body slower than Kestrel's minimum data rate
                    StatusCodes.Status411LengthRequired => "Length required",
                    StatusCodes.Status414UriTooLong => ProblemTitles.UriTooLong,
                    StatusCodes.Status431RequestHeaderFieldsTooLarge => ProblemTitles.HeadersTooLarge,
                    StatusCodes.Status505HttpVersionNotsupported => "HTTP version not supported",
                    _ => ProblemTitles.BadRequest,
                },
                Detail = BindingFailures.Describe(bad),
            },
            _ => Internal(exception),
        };

        if (problem.Status >= 500)
        {
            LogUnhandled(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
        }

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = environment.IsDevelopment() ? exception : null,
        });
    }

    /// <summary>
    /// A cancelled read of a request whose client left, or a connection reset mid-body. ASP.NET Core's middleware answers
    /// the first kind itself once RequestAborted has fired; a reset can reach the handler first, because Kestrel fires
    /// RequestAborted on the thread pool after the read that saw the reset has already thrown.
    /// </summary>
    private static bool IsClientGone(Exception exception, HttpContext context) =>
        (exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        || exception is Microsoft.AspNetCore.Connections.ConnectionResetException
        || exception.InnerException is Microsoft.AspNetCore.Connections.ConnectionResetException;

    private static ProblemDetails FromDomain(LatticeProblemException domain)
    {
        var problem = new ProblemDetails
        {
            Status = domain.Status,
            Type = domain.Type,
            Title = domain.Title,
            Detail = domain.Detail,
        };
        foreach (var (key, value) in domain.Extensions)
        {
            problem.Extensions[key] = value;
        }

        return problem;
    }

    private ProblemDetails Internal(Exception exception) => new()
    {
        Status = StatusCodes.Status500InternalServerError,
        Type = ProblemTypes.Internal,
        Title = ProblemTitles.Internal,
        Detail = environment.IsDevelopment() ? exception.Message : "An unexpected error occurred. The trace id identifies it in the logs.",
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception exception);
}
