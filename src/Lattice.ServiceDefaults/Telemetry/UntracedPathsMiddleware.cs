using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Lattice.ServiceDefaults.Telemetry;

/// <summary>Marks the server span of health probes and scrapes as not recorded, so exporters drop it.</summary>
internal sealed class UntracedPathsMiddleware(RequestDelegate next, IOptions<TelemetryOptions> options)
{
    private readonly string[] _paths = [.. options.Value.UntracedPaths];

    public Task InvokeAsync(HttpContext context)
    {
        var activity = Activity.Current;
        if (activity is not null && IsUntraced(context.Request.Path))
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }

        return next(context);
    }

    private bool IsUntraced(PathString path)
    {
        foreach (var untraced in _paths)
        {
            if (path.Equals(untraced, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
