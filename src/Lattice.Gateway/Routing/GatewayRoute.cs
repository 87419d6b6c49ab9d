using Lattice.Gateway.LoadBalancing;

namespace Lattice.Gateway.Routing;

/// <summary>A route resolved from configuration once at start: everything the request path needs, precomputed.</summary>
internal sealed class GatewayRoute
{
    public required string Id { get; init; }

    /// <summary>Public prefix without a trailing slash.</summary>
    public required string PathPrefix { get; init; }

    /// <summary>Upstream prefix without a trailing slash (may be empty).</summary>
    public required string UpstreamPathPrefix { get; init; }

    public required string Service { get; init; }

    /// <summary>Scope a caller needs, or null when the route is open to anyone.</summary>
    public required string? RequiredScope { get; init; }

    public required TimeSpan Timeout { get; init; }

    public required long MaxRequestBodyBytes { get; init; }

    public required bool Cache { get; init; }

    public required TimeSpan CacheTtl { get; init; }

    public required UpstreamCluster Cluster { get; init; }

    /// <summary>Name of the span of one upstream attempt.</summary>
    public required string ActivityName { get; init; }

    /// <summary>The model version the upstream reported last (response cache key part), or null.</summary>
    public string? ModelVersion
    {
        get => Volatile.Read(ref _modelVersion);
        set => Volatile.Write(ref _modelVersion, value);
    }

    private string? _modelVersion;

    /// <summary>The upstream path and query for a request whose path after the public prefix is <paramref name="remainder"/>.</summary>
    public string UpstreamPathAndQuery(string remainder, string? query)
    {
        var path = remainder.Length == 0
            ? (UpstreamPathPrefix.Length == 0 ? "/" : UpstreamPathPrefix)
            : UpstreamPathPrefix.Length == 0 && remainder[0] != '/' ? "/" + remainder : UpstreamPathPrefix + remainder;
        if (string.IsNullOrEmpty(query))
        {
            return path;
        }

        // Kestrel lets a literal '#' through in the query (a client's, not a fragment: none is ever sent), and .NET's Uri
        // would cut the query there, dropping what follows ("?x=#&version=9" lost version=9). Escaped, it means to the
        // service what it meant to Kestrel. Everything else goes as the client sent it (Replica.UriFor turns off Uri's
        // canonicalization): '"' or '{' included, as nginx sends them.
        return path + query.Replace("#", "%23", StringComparison.Ordinal); // the same string when there is none
    }
}
