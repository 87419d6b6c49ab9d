using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Lattice.ServiceDefaults.Http;

/// <summary>
/// Resilience of service-to-service HTTP calls (section <c>Lattice:Http:Resilience</c>).
/// Defaults suit sub-millisecond services on one network: Polly's defaults (30 s timeouts, 100-call
/// sampling) are meant for slow cloud calls and would hide a dead replica for far too long.
/// </summary>
public sealed class HttpResilienceOptions
{
    public const string SectionName = "Lattice:Http:Resilience";

    /// <summary>Upper bound for one attempt, including reading the response headers.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Upper bound for the whole call, across every retry and delay.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt; only transient failures of requests that are safe to repeat.</summary>
    [Range(0, 10)]
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>First retry delay; later ones grow exponentially with decorrelated jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Longest Retry-After an upstream may ask for before we stop retrying and pass its answer on.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of failed calls in the sampling window that opens the circuit.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls needed in the sampling window before the breaker may open.</summary>
    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>The sliding window the failure ratio is computed over (Polly's minimum is 0.5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an open circuit rejects calls before letting one probe through (Polly's minimum is 0.5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Cross-field rules the attributes cannot express.</summary>
internal sealed class HttpResilienceOptionsValidator : IValidateOptions<HttpResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpResilienceOptions options)
    {
        if (options.TotalTimeout < options.AttemptTimeout)
        {
            return ValidateOptionsResult.Fail(
                $"{HttpResilienceOptions.SectionName}:TotalTimeout ({options.TotalTimeout}) must be at least AttemptTimeout ({options.AttemptTimeout}).");
        }

        if (options.BreakerSamplingDuration < options.AttemptTimeout)
        {
            return ValidateOptionsResult.Fail(
                $"{HttpResilienceOptions.SectionName}:BreakerSamplingDuration ({options.BreakerSamplingDuration}) must be at least AttemptTimeout ({options.AttemptTimeout}), or timed-out attempts never count.");
        }

        return ValidateOptionsResult.Success;
    }
}
