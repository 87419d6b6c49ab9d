using Lattice.Gateway.Forwarding;
using Polly;
using Polly.CircuitBreaker;

namespace Lattice.Gateway.LoadBalancing;

/// <summary>
/// One replica of a service and everything the balancer knows about it: requests in flight, active health,
/// passive outlier state and its circuit breaker. Counters are lock-free; state changes take the cluster's lock.
/// </summary>
internal sealed class Replica
{
    private int _outstanding;
    private int _consecutiveFailures;
    private long _ejectedUntil;
    private long _circuitOpenUntil;
    private volatile bool _healthy = true;
    private volatile int _circuitState;
    private volatile UriCache? _lastUri;

    public Replica(Uri address)
    {
        Address = address;
        BaseAddress = address.GetLeftPart(UriPartial.Path).TrimEnd('/');
        Name = address.Authority;
    }

    public Uri Address { get; }

    /// <summary>Scheme, authority and base path without a trailing slash, the start of every upstream URL.</summary>
    public string BaseAddress { get; }

    /// <summary>host:port, the replica's name in metrics, logs and the admin view.</summary>
    public string Name { get; }

    /// <summary>The replica's circuit breaker, set once right after construction.</summary>
    public ResiliencePipeline<ForwardAttempt> Breaker { get; set; } = ResiliencePipeline<ForwardAttempt>.Empty;

    /// <summary>Mirrors the breaker's state from its callbacks, so the balancer reads it without Polly's lock.</summary>
    public CircuitState CircuitState
    {
        get => (CircuitState)_circuitState;
        set => _circuitState = (int)value;
    }

    public int Outstanding => Volatile.Read(ref _outstanding);

    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Result of the active health checks (true until a check says otherwise).</summary>
    public bool Healthy
    {
        get => _healthy;
        set => _healthy = value;
    }

    public int HealthCheckFailures { get; set; }

    public int HealthCheckSuccesses { get; set; }

    /// <summary>Ejections in a row; the next ejection lasts this many base times (plus one).</summary>
    public int EjectionCount { get; set; }

    /// <summary>When the last ejection ended (or the replica was first seen), in UTC ticks.</summary>
    public long InRotationSince { get; set; }

    public long EjectedUntil
    {
        get => Volatile.Read(ref _ejectedUntil);
        set => Volatile.Write(ref _ejectedUntil, value);
    }

    /// <summary>Set when the circuit opens: until then the balancer skips the replica; after it one attempt probes (half-open).</summary>
    public long CircuitOpenUntil
    {
        get => Volatile.Read(ref _circuitOpenUntil);
        set => Volatile.Write(ref _circuitOpenUntil, value);
    }

    public bool IsEjected(long nowTicks) => nowTicks < EjectedUntil;

    /// <summary>True when the circuit is open and its break has not yet elapsed.</summary>
    public bool IsCircuitBlocking(long nowTicks) => CircuitState is CircuitState.Open or CircuitState.Isolated && nowTicks < CircuitOpenUntil;

    public void Enter() => Interlocked.Increment(ref _outstanding);

    public void Leave() => Interlocked.Decrement(ref _outstanding);

    /// <summary>Counts a failure in a row and returns the new count.</summary>
    public int Failed() => Interlocked.Increment(ref _consecutiveFailures);

    public void Succeeded()
    {
        // Read first: writing the shared counter on every success would bounce its cache line between cores.
        if (Volatile.Read(ref _consecutiveFailures) != 0)
        {
            Volatile.Write(ref _consecutiveFailures, 0);
        }
    }

    public void ResetFailures() => Volatile.Write(ref _consecutiveFailures, 0);

    /// <summary>The upstream URL for a path: the last one is remembered, since a service's clients mostly call one path.</summary>
    public Uri UriFor(string pathAndQuery)
    {
        var last = _lastUri;
        if (last is not null && string.Equals(last.PathAndQuery, pathAndQuery, StringComparison.Ordinal))
        {
            return last.Uri;
        }

        // As built (GatewayRoute.UpstreamPathAndQuery): Uri would percent-encode what a query may not hold ('"', '{',
        // '|', ...), tripling its length past a service's request-line limit, and unescape '%41' in the path.
        var uri = new Uri(BaseAddress + pathAndQuery, in AsBuilt);
        _lastUri = new UriCache(pathAndQuery, uri);
        return uri;
    }

    private static readonly UriCreationOptions AsBuilt = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private sealed record UriCache(string PathAndQuery, Uri Uri);
}
