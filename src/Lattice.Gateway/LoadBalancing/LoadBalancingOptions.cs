using System.ComponentModel.DataAnnotations;

namespace Lattice.Gateway.LoadBalancing;

/// <summary>
/// Replica health (section <c>Lattice:Gateway:LoadBalancing</c>): active checks, passive outlier ejection
/// (Envoy's model) and a circuit breaker per replica. Defaults suit sub-millisecond services on one network.
/// </summary>
public sealed class LoadBalancingOptions
{
    public const string SectionName = "Lattice:Gateway:LoadBalancing";

    /// <summary>Path probed on every replica by the active health checker.</summary>
    [Required]
    public string HealthCheckPath { get; set; } = "/health/ready";

    /// <summary>Time between two active probes of a replica.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound for one probe.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed probes in a row that take a replica out of rotation.</summary>
    [Range(1, 100)]
    public int UnhealthyThreshold { get; set; } = 2;

    /// <summary>Passed probes in a row that bring it back.</summary>
    [Range(1, 100)]
    public int HealthyThreshold { get; set; } = 1;

    /// <summary>Consecutive 5xx answers or connect failures that eject a replica (passive outlier detection).</summary>
    [Range(1, 1000)]
    public int ConsecutiveFailures { get; set; } = 5;

    /// <summary>First ejection time; the n-th ejection in a row lasts n times this, up to <see cref="MaxEjectionTime"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan BaseEjectionTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest ejection; a replica that stayed in rotation this long also starts again from the base time.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxEjectionTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Share of a service's replicas that may be ejected at once (at least one, never all).</summary>
    [Range(0, 100)]
    public int MaxEjectionPercent { get; set; } = 50;

    /// <summary>Share of failed attempts in the sampling window that opens a replica's circuit.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the sampling window before the circuit may open.</summary>
    [Range(2, 100_000)]
    public int BreakerMinimumThroughput { get; set; } = 20;

    /// <summary>Sliding window of the failure ratio (Polly's minimum is 0.5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open circuit refuses attempts before one probe goes through (half-open).</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerDuration { get; set; } = TimeSpan.FromSeconds(5);
}
