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

    /// <summary>Trace sampling ratio for root spans (1 = all); children follow their parent's decision.</summary>
    [Range(0.0, 1.0)]
    public double SamplingRatio { get; set; } = 1.0;
}
