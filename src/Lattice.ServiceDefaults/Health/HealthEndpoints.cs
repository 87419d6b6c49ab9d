using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lattice.ServiceDefaults.Health;

/// <summary>
/// <c>/health/live</c> runs only checks tagged <see cref="LiveTag"/> (is the process able to serve at all);
/// <c>/health/ready</c> runs every check (model loaded, dependencies reachable). Both answer in every environment.
/// </summary>
public static class HealthEndpoints
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>Tag for checks that belong to liveness; a failing one makes an orchestrator restart the process.</summary>
    public const string LiveTag = "live";

    /// <summary>Probes read: GET and HEAD (MapHealthChecks alone answers every method, POST and DELETE included); others are 405.</summary>
    private static readonly HttpMethodMetadata ProbeMethods = new(ReadMethods.GetAndHead);

    internal static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
            ResponseWriter = WriteAsync,
        }).AllowAnonymous().WithMetadata(ProbeMethods).WithName("HealthLive").WithTags("Health");
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            ResponseWriter = WriteAsync,
        }).AllowAnonymous().WithMetadata(ProbeMethods).WithName("HealthReady").WithTags("Health");
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status", report.Status.ToString());
            writer.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 3));
            writer.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                writer.WriteStartObject(name);
                writer.WriteString("status", entry.Status.ToString());
                if (entry.Description is not null)
                {
                    writer.WriteString("description", entry.Description);
                }

                writer.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 3));
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }
}
