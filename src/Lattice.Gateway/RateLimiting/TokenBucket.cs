namespace Lattice.Gateway.RateLimiting;

/// <summary>
/// A token bucket refilled continuously at <c>rate</c> tokens per second up to <c>burst</c>. A lock per bucket:
/// uncontended it costs less than a retry loop over two fields, and callers rarely share a bucket across cores.
/// </summary>
internal sealed class TokenBucket(double permitsPerSecond, int burst, long nowTimestamp)
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private long _last = nowTimestamp;
    private volatile bool _retired;

    public double PermitsPerSecond { get; } = permitsPerSecond;

    public int Burst { get; } = burst;

    /// <summary>True once <see cref="TryRetire"/> dropped the bucket: it gives no more tokens.</summary>
    public bool IsRetired => _retired;

    /// <summary>
    /// Takes one token; when none is left says how long until one is. <see cref="TokenResult.Retired"/> when the bucket
    /// was dropped: the caller's current bucket holds its state from then on.
    /// </summary>
    public TokenResult TryAcquire(long nowTimestamp, long timestampFrequency, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            if (_retired)
            {
                retryAfter = TimeSpan.Zero;
                return TokenResult.Retired;
            }

            var elapsed = (double)(nowTimestamp - _last) / timestampFrequency;
            if (elapsed > 0)
            {
                _tokens = Math.Min(Burst, _tokens + (elapsed * PermitsPerSecond));
                _last = nowTimestamp;
            }

            if (_tokens >= 1)
            {
                _tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return TokenResult.Acquired;
            }

            retryAfter = TimeSpan.FromSeconds((1 - _tokens) / PermitsPerSecond);
            return TokenResult.Exhausted;
        }
    }

    /// <summary>
    /// Retires the bucket when it is full again: a full bucket holds no state (a new one starts full), so it can be
    /// dropped. Under the lock, so no token is taken from it afterwards.
    /// </summary>
    public bool TryRetire(long nowTimestamp, long timestampFrequency)
    {
        lock (_lock)
        {
            var elapsed = Math.Max(0, (double)(nowTimestamp - _last) / timestampFrequency);
            if (_tokens + (elapsed * PermitsPerSecond) < Burst)
            {
                return false;
            }

            _retired = true;
            return true;
        }
    }
}

/// <summary>What <see cref="TokenBucket.TryAcquire"/> did.</summary>
internal enum TokenResult
{
    Acquired,
    Exhausted,
    Retired,
}
