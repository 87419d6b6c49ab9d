using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Lattice.Gateway.Forwarding;
using Lattice.Gateway.Telemetry;
using Lattice.ServiceDefaults.Discovery;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Lattice.Gateway.LoadBalancing;

/// <summary>
/// Every service's replicas, resolved through <see cref="IServiceEndpointResolver"/>, with their circuit
/// breakers and passive outlier ejection. One per process, shared by the proxy and the health checker.
/// </summary>
internal sealed class ClusterRegistry
{
    private readonly ConcurrentDictionary<string, UpstreamCluster> _clusters = new(StringComparer.OrdinalIgnoreCase);
    private readonly IServiceEndpointResolver _resolver;
    private readonly LoadBalancingOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly GatewayTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly Func<UpstreamCluster, Uri, Replica> _createReplica;

    public ClusterRegistry(
        IServiceEndpointResolver resolver,
        IOptions<LoadBalancingOptions> options,
        TimeProvider timeProvider,
        GatewayTelemetry telemetry,
        ILogger<ClusterRegistry> logger)
    {
        _resolver = resolver;
        _options = options.Value;
        _timeProvider = timeProvider;
        _telemetry = telemetry;
        _logger = logger;
        _createReplica = CreateReplica;
        telemetry.Meter.CreateObservableGauge(
            "lattice.gateway.circuit.state", ObserveCircuits, "{state}",
            "Circuit breaker state per replica: 0 closed, 1 open, 2 half-open (Polly's CircuitState values).");
        telemetry.Meter.CreateObservableGauge(
            "lattice.gateway.replica.available", ObserveAvailability, "{replica}",
            "1 when a replica is healthy, not ejected and its circuit is not open; else 0.");
    }

    public IEnumerable<UpstreamCluster> Clusters => _clusters.Values;

    public UpstreamCluster GetOrAdd(string service) =>
        _clusters.GetOrAdd(service, static (name, create) => new UpstreamCluster(name, create), _createReplica);

    /// <summary>The cluster's current replicas; completes synchronously when the resolver does (configuration does).</summary>
    public ValueTask<Replica[]> ResolveAsync(UpstreamCluster cluster, CancellationToken cancellationToken)
    {
        var pending = _resolver.ResolveAsync(cluster.Service, cancellationToken);
        return pending.IsCompletedSuccessfully
            ? ValueTask.FromResult(cluster.Refresh(pending.Result))
            : Slow(cluster, pending);

        static async ValueTask<Replica[]> Slow(UpstreamCluster cluster, ValueTask<IReadOnlyList<Uri>> pending) => cluster.Refresh(await pending);
    }

    /// <summary>Records an attempt's result for passive outlier detection.</summary>
    public void Report(UpstreamCluster cluster, Replica replica, bool failed)
    {
        if (!failed)
        {
            replica.Succeeded();
            return;
        }

        var failures = replica.Failed();
        if (failures >= _options.ConsecutiveFailures)
        {
            TryEject(cluster, replica, failures);
        }
    }

    private void TryEject(UpstreamCluster cluster, Replica replica, int failures)
    {
        TimeSpan duration;
        int ejectionCount;
        lock (cluster.SyncRoot)
        {
            var now = _timeProvider.GetUtcNow().UtcTicks;
            if (replica.IsEjected(now))
            {
                return;
            }

            var replicas = cluster.Replicas;
            var ejected = 0;
            foreach (var other in replicas)
            {
                ejected += other.IsEjected(now) ? 1 : 0;
            }

            // Envoy's rule: at most MaxEjectionPercent, but at least one may go; ours adds that one always stays.
            var allowed = Math.Max(1, replicas.Length * _options.MaxEjectionPercent / 100);
            if (ejected + 1 > allowed || ejected + 1 >= replicas.Length)
            {
                return;
            }

            if (now - replica.InRotationSince > _options.MaxEjectionTime.Ticks)
            {
                replica.EjectionCount = 0;
            }

            ejectionCount = ++replica.EjectionCount;
            var ticks = Math.Min(_options.BaseEjectionTime.Ticks * ejectionCount, _options.MaxEjectionTime.Ticks);
            duration = TimeSpan.FromTicks(ticks);
            replica.EjectedUntil = now + ticks;
            replica.InRotationSince = now + ticks;
            replica.ResetFailures();
        }

        _telemetry.Ejected(cluster.Service, replica.Name);
        GatewayLog.ReplicaEjected(_logger, cluster.Service, replica.Name, duration.TotalSeconds, failures, ejectionCount);
    }

    private Replica CreateReplica(UpstreamCluster cluster, Uri address)
    {
        var replica = new Replica(address) { InRotationSince = _timeProvider.GetUtcNow().UtcTicks };
        replica.Breaker = new ResiliencePipelineBuilder<ForwardAttempt>
        {
            Name = "lattice-gateway-replica",
            InstanceName = cluster.Service + "/" + replica.Name,
            TimeProvider = _timeProvider,
        }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ForwardAttempt>
            {
                Name = "circuit-breaker",
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = _options.BreakerMinimumThroughput,
                SamplingDuration = _options.BreakerSamplingDuration,
                BreakDuration = _options.BreakerDuration,
                ShouldHandle = args => ValueTask.FromResult(IsBreakerFailure(args.Outcome, replica.CircuitState == CircuitState.HalfOpen)),
                OnOpened = args =>
                {
                    replica.CircuitOpenUntil = _timeProvider.GetUtcNow().UtcTicks + args.BreakDuration.Ticks;
                    return CircuitChanged(cluster, replica, CircuitState.Open);
                },
                OnHalfOpened = _ => CircuitChanged(cluster, replica, CircuitState.HalfOpen),
                OnClosed = _ => CircuitChanged(cluster, replica, CircuitState.Closed),
            })
            .Build();
        return replica;
    }

    private ValueTask CircuitChanged(UpstreamCluster cluster, Replica replica, CircuitState state)
    {
        replica.CircuitState = state;
        GatewayLog.CircuitChanged(_logger, cluster.Service, replica.Name, state.ToString());
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Connect failures, timeouts and 5xx (not 501, 502, 504) count against a replica; 4xx and 429 are the caller's or a
    /// pacing answer. A half-open probe the client ended counts too: it proved nothing, and Polly closes a half-open
    /// circuit on anything but a failure, so the circuit opens again and probes after another break. (Such an attempt
    /// on a closed circuit never reaches the breaker: <c>ProxyMiddleware.SendThroughBreakerAsync</c>.)
    /// </summary>
    internal static bool IsBreakerFailure(Outcome<ForwardAttempt> outcome, bool halfOpen)
    {
        if (outcome.Exception is not null)
        {
            return true;
        }

        var attempt = outcome.Result;
        return ForwarderErrors.IsReplicaFailure(attempt.Error) || IsServerError(attempt.Response)
            || (halfOpen && ForwarderErrors.IsClientFault(attempt.Error));
    }

    /// <summary>
    /// A 5xx that says the replica itself is unwell. 502 and 504 are not counted: they say a hop behind it failed
    /// (the orchestrator answers them when a required pipeline step fails), and ejecting or breaking the replica
    /// would fail every other request it could still serve. 501 is a missing feature, not a failure.
    /// </summary>
    internal static bool IsServerError(HttpResponseMessage? response) =>
        response is not null && (int)response.StatusCode >= 500
        && response.StatusCode is not (System.Net.HttpStatusCode.NotImplemented or System.Net.HttpStatusCode.BadGateway or System.Net.HttpStatusCode.GatewayTimeout);

    private IEnumerable<Measurement<int>> ObserveCircuits()
    {
        foreach (var cluster in _clusters.Values)
        {
            foreach (var replica in cluster.Replicas)
            {
                yield return new Measurement<int>(
                    (int)replica.CircuitState,
                    new KeyValuePair<string, object?>("service", cluster.Service),
                    new KeyValuePair<string, object?>("replica", replica.Name));
            }
        }
    }

    private IEnumerable<Measurement<int>> ObserveAvailability()
    {
        var now = _timeProvider.GetUtcNow().UtcTicks;
        foreach (var cluster in _clusters.Values)
        {
            foreach (var replica in cluster.Replicas)
            {
                var available = replica.Healthy && !replica.IsEjected(now) && !replica.IsCircuitBlocking(now);
                yield return new Measurement<int>(
                    available ? 1 : 0,
                    new KeyValuePair<string, object?>("service", cluster.Service),
                    new KeyValuePair<string, object?>("replica", replica.Name));
            }
        }
    }
}
