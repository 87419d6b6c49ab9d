using System.Collections.Concurrent;
using Lattice.Gateway.Auth;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.RateLimiting;

/// <summary>
/// Per-caller token buckets and the global concurrency limit. Both refuse with 429 and a Retry-After: the
/// caller is asked to slow down, which 503 (the service is broken) would not say. A sweep every minute drops the
/// buckets that are full again (a full bucket carries no state), so callers seen once (JWT subjects, revoked keys)
/// are not kept for the life of the process.
/// </summary>
internal sealed class GatewayRateLimiter : IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ITimer? _sweep;
    private int _inFlight;

    public GatewayRateLimiter(IOptions<RateLimitOptions> options, TimeProvider timeProvider)
    {
        _options = options.Value;
        _timeProvider = timeProvider;
        if (_options.Enabled)
        {
            _sweep = timeProvider.CreateTimer(static state => ((GatewayRateLimiter)state!).Sweep(), this, SweepInterval, SweepInterval);
        }
    }

    public bool Enabled => _options.Enabled;

    /// <summary>Requests being handled now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Callers with a bucket now (takes every lock of the dictionary: for tests and diagnostics).</summary>
    internal int BucketCount => _buckets.Count;

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
        var now = _timeProvider.GetTimestamp();
        var frequency = _timeProvider.TimestampFrequency;
        var bucket = principal.Bucket ??= BucketFor(principal, now);
        var result = bucket.TryAcquire(now, frequency, out retryAfter);
        while (result == TokenResult.Retired)
        {
            // A cached principal outlived its bucket in the sweep: move it to the caller's current one.
            principal.Bucket = bucket = BucketFor(principal, now);
            result = bucket.TryAcquire(now, frequency, out retryAfter);
        }

        return result == TokenResult.Acquired;
    }

    public void Dispose() => _sweep?.Dispose();

    private TokenBucket BucketFor(GatewayPrincipal principal, long now)
    {
        var rate = principal.PermitsPerSecond ?? _options.PermitsPerSecond;
        var burst = principal.Burst ?? _options.Burst;
        while (true)
        {
            var bucket = _buckets.GetOrAdd(principal.Id, static (_, state) => new TokenBucket(state.rate, state.burst, state.now), (rate, burst, now));
            if (!bucket.IsRetired && bucket.PermitsPerSecond == rate && bucket.Burst == burst)
            {
                return bucket;
            }

            // Retired by a sweep that has not removed it yet, or the key's limits changed since the bucket was made.
            var replacement = new TokenBucket(rate, burst, now);
            if (_buckets.TryUpdate(principal.Id, replacement, bucket))
            {
                return replacement;
            }
        }
    }

    private void Sweep()
    {
        var now = _timeProvider.GetTimestamp();
        var frequency = _timeProvider.TimestampFrequency;
        foreach (var (caller, bucket) in _buckets)
        {
            if (bucket.TryRetire(now, frequency))
            {
                _buckets.TryRemove(new KeyValuePair<string, TokenBucket>(caller, bucket));
            }
        }
    }
}
