using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>Registers RFC 9457 ProblemDetails with Lattice's stable types and the trace id on every problem.</summary>
internal static class ProblemDetailsExtensions
{
    public static IHostApplicationBuilder AddLatticeProblemDetails(this IHostApplicationBuilder builder)
    {
        var isDevelopment = builder.Environment.IsDevelopment();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // A minimal API's binding failure (malformed JSON, a wrong type, a missing body) otherwise ends as a bare 400 with
        // the reason only in a Debug log line; thrown, it reaches ProblemExceptionHandler, which says what is wrong.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Status ??= context.HttpContext.Response.StatusCode;
            if (string.IsNullOrEmpty(problem.Type) || !problem.Type.StartsWith(ProblemTypes.BaseUri, StringComparison.Ordinal))
            {
                // ASP.NET Core fills RFC section links; ours are stable per error kind instead.
                problem.Type = problem is HttpValidationProblemDetails
                    ? ProblemTypes.Validation
                    : ProblemTypes.ForStatus(problem.Status.Value);
            }

            problem.Instance ??= context.HttpContext.Request.Path;
            problem.Extensions["traceId"] = Activity.Current?.TraceId.ToHexString() ?? context.HttpContext.TraceIdentifier;
            if (!isDevelopment)
            {
                problem.Extensions.Remove("exception");
            }
        });
        builder.Services.Replace(ServiceDescriptor.Singleton<IProblemDetailsService, JsonProblemDetailsService>());
        return builder;
    }
}
