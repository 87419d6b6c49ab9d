using Lattice.Gateway.Routing;
using Lattice.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.LoadBalancing;

/// <summary>
/// Probes every replica of every routed service on <see cref="LoadBalancingOptions.HealthCheckPath"/> each
/// interval; a replica leaves rotation after <c>UnhealthyThreshold</c> failed probes in a row and returns after
/// <c>HealthyThreshold</c> passed ones. Probes use their own connections so they never queue behind traffic.
/// </summary>
internal sealed class ActiveHealthChecker(
    ClusterRegistry clusters,
    RouteTable routes,
    IOptions<LoadBalancingOptions> options,
    TimeProvider timeProvider,
    ILogger<ActiveHealthChecker> logger) : BackgroundService
{
    private readonly LoadBalancingOptions _options = options.Value;
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = options.Value.HealthCheckTimeout,
        ActivityHeadersPropagator = null,
    });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var route in routes.Routes)
        {
            clusters.GetOrAdd(route.Service);
        }

        using var timer = new PeriodicTimer(_options.HealthCheckInterval, timeProvider);
        try
        {
            do
            {
                await ProbeAllAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round over every replica, in parallel.</summary>
    internal async Task ProbeAllAsync(CancellationToken cancellationToken)
    {
        var probes = new List<Task>();
        foreach (var cluster in clusters.Clusters)
        {
            Replica[] replicas;
            try
            {
                replicas = await clusters.ResolveAsync(cluster, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                GatewayLog.HealthCheckFailed(logger, cluster.Service, exception.Message);
                continue;
            }

            foreach (var replica in replicas)
            {
                probes.Add(ProbeAsync(cluster, replica, cancellationToken));
            }
        }

        await Task.WhenAll(probes);
    }

    private async Task ProbeAsync(UpstreamCluster cluster, Replica replica, CancellationToken cancellationToken)
    {
        var passed = await ProbeOnceAsync(replica, cancellationToken);
        lock (cluster.SyncRoot)
        {
            if (passed)
            {
                replica.HealthCheckFailures = 0;
                replica.HealthCheckSuccesses++;
                if (!replica.Healthy && replica.HealthCheckSuccesses >= _options.HealthyThreshold)
                {
                    replica.Healthy = true;
                    GatewayLog.ReplicaHealthy(logger, cluster.Service, replica.Name);
                }
            }
            else
            {
                replica.HealthCheckSuccesses = 0;
                replica.HealthCheckFailures++;
                if (replica.Healthy && replica.HealthCheckFailures >= _options.UnhealthyThreshold)
                {
                    replica.Healthy = false;
                    GatewayLog.ReplicaUnhealthy(logger, cluster.Service, replica.Name, replica.HealthCheckFailures);
                }
            }
        }
    }

    private async Task<bool> ProbeOnceAsync(Replica replica, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.HealthCheckTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, replica.BaseAddress + _options.HealthCheckPath);
            using var response = await _invoker.SendAsync(request, linked.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            GatewayLog.HealthCheckFailed(logger, replica.Name, exception.Message);
            return false;
        }
    }

    public override void Dispose()
    {
        _invoker.Dispose();
        base.Dispose();
    }
}
