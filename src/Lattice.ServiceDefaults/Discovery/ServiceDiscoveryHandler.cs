using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Lattice.ServiceDefaults.Discovery;

/// <summary>
/// Rewrites a logical address (<c>http://sentiment/v1/sentiment</c>) to one replica's real address,
/// round-robin, on every attempt, so a retry can land on another replica. Hosts that are not known
/// service names pass through untouched.
/// </summary>
internal sealed class ServiceDiscoveryHandler(IServiceEndpointResolver resolver) : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<Uri> LogicalUriKey = new("Lattice.LogicalUri");
    private static readonly ConcurrentDictionary<string, StrongBox<int>> Cursors = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Most callers send to a few fixed addresses; building a Uri per attempt was a measurable cost.</summary>
    private static readonly ConcurrentDictionary<(string Endpoint, string Logical), Uri> Combined = new();
    private const int MaxCombined = 1024;

    /// <summary>Entries added since the last reset (ConcurrentDictionary.Count takes every lock; this is close enough).</summary>
    private static int _combinedCount;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(LogicalUriKey, out var logical))
        {
            logical = request.RequestUri;
        }

        if (logical is not null && IsLogicalName(logical))
        {
            var endpoints = await resolver.ResolveAsync(logical.Host, cancellationToken);
            if (endpoints.Count > 0)
            {
                request.Options.Set(LogicalUriKey, logical);
                request.RequestUri = CombineCached(Pick(logical.Host, endpoints), logical);
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private static bool IsLogicalName(Uri uri) =>
        uri.IsAbsoluteUri && uri.HostNameType == UriHostNameType.Dns && !uri.Host.Contains('.', StringComparison.Ordinal)
        && !string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase);

    private static Uri Pick(string service, IReadOnlyList<Uri> endpoints)
    {
        if (endpoints.Count == 1)
        {
            return endpoints[0];
        }

        var cursor = Cursors.GetOrAdd(service, static _ => new StrongBox<int>());
        var next = (uint)Interlocked.Increment(ref cursor.Value);
        return endpoints[(int)(next % (uint)endpoints.Count)];
    }

    /// <summary>
    /// <see cref="Combine"/>, remembered for addresses without a query (a query usually varies per call). The cache
    /// is bounded: when it is full it starts over, so a caller that varies its paths cannot grow it without limit.
    /// </summary>
    internal static Uri CombineCached(Uri endpoint, Uri logical)
    {
        if (logical.OriginalString.Contains('?', StringComparison.Ordinal))
        {
            return Combine(endpoint, logical);
        }

        var key = (endpoint.OriginalString, logical.OriginalString);
        if (Combined.TryGetValue(key, out var combined))
        {
            return combined;
        }

        combined = Combine(endpoint, logical);
        if (Interlocked.Increment(ref _combinedCount) > MaxCombined)
        {
            ResetCombined();
        }

        Combined.TryAdd(key, combined);
        return combined;
    }

    /// <summary>Forgets every remembered address (when the bound is reached; tests use it for a known start).</summary>
    internal static void ResetCombined()
    {
        Combined.Clear();
        Interlocked.Exchange(ref _combinedCount, 0);
    }

    internal static Uri Combine(Uri endpoint, Uri logical)
    {
        var basePath = endpoint.AbsolutePath.TrimEnd('/');
        var builder = new UriBuilder(endpoint.Scheme, endpoint.Host, endpoint.Port)
        {
            Path = basePath + logical.AbsolutePath,
            Query = logical.Query.TrimStart('?'),
        };
        return builder.Uri;
    }
}
