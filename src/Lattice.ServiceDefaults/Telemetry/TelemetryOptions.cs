using System.ComponentModel.DataAnnotations;

namespace Lattice.ServiceDefaults.Telemetry;

/// <summary>Tracing and metrics settings (section <c>Lattice:Telemetry</c>).</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Lattice:Telemetry";

    /// <summary>Service name on spans and metrics; defaults to OTEL_SERVICE_NAME, then the application name.</summary>
    public string? ServiceName { get; set; }

    /// <summary>Paths whose server spans are never recorded (probes and scrapes would drown real traffic).</summary>
    public IList<string> UntracedPaths { get; } = ["/health/live", "/health/ready", "/metrics"];

    /// <summary>Upper bound for one /metrics collection.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ScrapeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Meters (by meter name) and instruments (by instrument name) left out of /metrics and OTLP. By default the
    /// four that record on every buffer rent, route match, pooled-connection state flip or outgoing call start and
    /// end (Kestrel's memory pool, ASP.NET Core routing, HttpClient's <c>http.client.open_connections</c> and
    /// <c>http.client.active_requests</c>), which cost more per request than they tell. Configured entries are
    /// added to these; <see cref="PublishAllMeters"/> turns the exclusion off.
    /// </summary>
    public IList<string> ExcludedMetrics { get; } =
        ["Microsoft.AspNetCore.MemoryPool", "Microsoft.AspNetCore.Routing", "http.client.open_connections", "http.client.active_requests"];

    /// <summary>Publish every meter in the process, ignoring <see cref="ExcludedMetrics"/>.</summary>
    public bool PublishAllMeters { get; set; }

    /// <summary>
    /// Trace sampling ratio for root spans (1 = all) when an OTLP endpoint is configured; children follow their
    /// parent's decision. Without an exporter no root span is recorded (nothing would read it); trace ids still exist
    /// and propagate, so logs and downstream services keep the caller's trace and its sampled flag.
    /// </summary>
    [Range(0.0, 1.0)]
    public double SamplingRatio { get; set; } = 1.0;
}
