using System.Collections.Frozen;
using Lattice.Gateway.Auth;
using Lattice.Gateway.Caching;
using Lattice.Gateway.LoadBalancing;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.Routing;

/// <summary>
/// Maps a request path to its route: a frozen lookup on the first path segment, then the longest prefix
/// among the few routes that share it, matched on whole segments and case-insensitively. A ':' also ends a
/// segment, so custom methods such as <c>/api/sentiment:batch</c> follow their resource.
/// </summary>
internal sealed class RouteTable
{
    private readonly FrozenDictionary<string, GatewayRoute[]> _byFirstSegment;
    private readonly FrozenDictionary<string, GatewayRoute[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public RouteTable(IOptions<GatewayOptions> options, IOptions<ResponseCacheOptions> cacheOptions, ClusterRegistry clusters)
    {
        var settings = options.Value;
        var routes = new List<GatewayRoute>();
        foreach (var (id, route) in settings.Routes)
        {
            var prefix = route.PathPrefix.TrimEnd('/');
            var service = route.Service;
            routes.Add(new GatewayRoute
            {
                Id = id,
                PathPrefix = prefix,
                UpstreamPathPrefix = (route.UpstreamPathPrefix ?? prefix).TrimEnd('/'),
                Service = service,
                RequiredScope = route.Scope switch
                {
                    null => Scopes.Predict(service),
                    Scopes.Anonymous => null,
                    _ => route.Scope,
                },
                Timeout = route.Timeout ?? settings.Timeout,
                MaxRequestBodyBytes = route.MaxRequestBodyBytes ?? settings.MaxRequestBodyBytes,
                Cache = route.Cache,
                CacheTtl = route.CacheTtl ?? cacheOptions.Value.Ttl,
                Cluster = clusters.GetOrAdd(service),
                ActivityName = "gateway.upstream " + id,
            });
        }

        Routes = routes;
        _byFirstSegment = routes
            .GroupBy(r => FirstSegment(r.PathPrefix).ToString(), StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(
                g => g.Key,
                g => g.OrderByDescending(r => r.PathPrefix.Length).ToArray(),
                StringComparer.OrdinalIgnoreCase);
        _lookup = _byFirstSegment.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IReadOnlyList<GatewayRoute> Routes { get; }

    /// <summary>The route for <paramref name="path"/> and the rest of the path after its prefix, or null.</summary>
    public GatewayRoute? Match(string path, out string remainder)
    {
        remainder = string.Empty;
        if (!_lookup.TryGetValue(FirstSegment(path), out var candidates))
        {
            return null;
        }

        foreach (var route in candidates)
        {
            var prefix = route.PathPrefix;
            if (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                && (path.Length == prefix.Length || path[prefix.Length] is '/' or ':'))
            {
                remainder = path.Length == prefix.Length ? string.Empty : path[prefix.Length..];
                return route;
            }
        }

        return null;
    }

    private static ReadOnlySpan<char> FirstSegment(ReadOnlySpan<char> path)
    {
        path = path.TrimStart('/');
        var end = path.IndexOf('/');
        return end < 0 ? path : path[..end];
    }
}
