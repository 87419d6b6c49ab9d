using System.Collections.Concurrent;
using Lattice.Gateway.Auth;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.RateLimiting;

/// <summary>
/// Per-caller token buckets and the global concurrency limit. Both refuse with 429 and a Retry-After: the
/// caller is asked to slow down, which 503 (the service is broken) would not say.
/// </summary>
internal sealed class GatewayRateLimiter(IOptions<RateLimitOptions> options, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly RateLimitOptions _options = options.Value;
    private int _inFlight;

    public bool Enabled => _options.Enabled;

    /// <summary>Requests being handled now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a slot of the global concurrency limit; false (and nothing taken) when full.</summary>
    public bool TryEnter(int limit)
    {
        if (Interlocked.Increment(ref _inFlight) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Takes a token from the caller's bucket.</summary>
    public bool TryAcquire(GatewayPrincipal principal, out TimeSpan retryAfter)
    {
        var now = timeProvider.GetTimestamp();
        var bucket = principal.Bucket ??= BucketFor(principal, now);
        return bucket.TryAcquire(now, timeProvider.TimestampFrequency, out retryAfter);
    }

    private TokenBucket BucketFor(GatewayPrincipal principal, long now)
    {
        var rate = principal.PermitsPerSecond ?? _options.PermitsPerSecond;
        var burst = principal.Burst ?? _options.Burst;
        var bucket = _buckets.GetOrAdd(principal.Id, static (_, state) => new TokenBucket(state.rate, state.burst, state.now), (rate, burst, now));
        if (bucket.PermitsPerSecond != rate || bucket.Burst != burst)
        {
            // The key's limits changed since the bucket was made.
            bucket = new TokenBucket(rate, burst, now);
            _buckets[principal.Id] = bucket;
        }

        return bucket;
    }
}
