using System.ComponentModel.DataAnnotations;

namespace Lattice.Gateway.RateLimiting;

/// <summary>Per-caller token buckets (section <c>Lattice:Gateway:RateLimit</c>); a key may carry its own rate and burst.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Lattice:Gateway:RateLimit";

    /// <summary>Turns per-caller limits off entirely (the global concurrency limit stays).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sustained requests per second per caller, unless the key sets its own.</summary>
    [Range(0.001, 10_000_000)]
    public double PermitsPerSecond { get; set; } = 100;

    /// <summary>Bucket size: requests a caller may make at once after being idle, unless the key sets its own.</summary>
    [Range(1, 100_000_000)]
    public int Burst { get; set; } = 200;
}
