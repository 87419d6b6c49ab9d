using Lattice.Gateway.LoadBalancing;
using Lattice.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lattice.Gateway.Apis;

/// <summary><c>GET /gateway/upstreams</c> (and HEAD; admin scope): every replica the gateway knows and how it sees it.</summary>
internal static class UpstreamsApi
{
    public static IEndpointRouteBuilder MapUpstreamsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/gateway/upstreams", ReadMethods.GetAndHead, List)
            .RequireAdminScope()
            .WithTags("Gateway upstreams")
            .WithName("ListUpstreams")
            .WithSummary("Replicas per service: health, ejection, circuit state, requests in flight.");
        return endpoints;
    }

    private static Ok<IReadOnlyList<UpstreamView>> List(ClusterRegistry clusters, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow().UtcTicks;
        var views = new List<UpstreamView>();
        foreach (var cluster in clusters.Clusters.OrderBy(c => c.Service, StringComparer.Ordinal))
        {
            var replicas = cluster.Replicas.Select(r => new ReplicaView(
                r.Address.ToString(),
                r.Healthy,
                r.IsEjected(now),
                r.IsEjected(now) ? new DateTimeOffset(r.EjectedUntil, TimeSpan.Zero) : null,
                r.EjectionCount,
                r.ConsecutiveFailures,
                r.CircuitState.ToString(),
                r.Outstanding)).ToList();
            views.Add(new UpstreamView(cluster.Service, replicas));
        }

        return TypedResults.Ok<IReadOnlyList<UpstreamView>>(views);
    }
}
