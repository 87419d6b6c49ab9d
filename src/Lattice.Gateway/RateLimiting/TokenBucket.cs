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

    public double PermitsPerSecond { get; } = permitsPerSecond;

    public int Burst { get; } = burst;

    /// <summary>Takes one token; when none is left says how long until one is.</summary>
    public bool TryAcquire(long nowTimestamp, long timestampFrequency, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
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
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - _tokens) / PermitsPerSecond);
            return false;
        }
    }
}
