using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Lattice.Gateway.Auth;
using Lattice.Gateway.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Lattice.Gateway.Caching;

/// <summary>
/// A cached 200 response: its end-to-end headers (Content-Length aside) and body, when it was stored, and its place in
/// the store order (unique, unlike the time: the eviction queue's handle on this entry).
/// </summary>
internal sealed record CachedResponse(KeyValuePair<string, StringValues>[] Headers, string? ModelVersion, byte[] Body, long StoredAt, long ExpiresAt, long Sequence);

/// <summary>
/// Cache of repeat predictions. The key is the SHA-256 of route + method + path and query + caller + the request
/// headers an answer may depend on (<see cref="ResponseCacheOptions.VaryHeaders"/>) + the body, so one caller never
/// gets an answer made for another; an entry is served only while fresh and while its model version is the one the
/// route's upstream reported last. Bounded by entries and bytes, oldest evicted first.
/// </summary>
internal sealed class ResponseCache(IOptions<ResponseCacheOptions> options, TimeProvider timeProvider)
{
    private readonly ResponseCacheOptions _options = options.Value;
    private readonly ConcurrentDictionary<KeyHash, CachedResponse> _entries = new();

    // Oldest first, by key and store sequence only: an entry dropped or replaced meanwhile must not stay reachable
    // (with its body) until its turn here comes.
    private readonly ConcurrentQueue<(KeyHash Key, long Sequence)> _order = new();
    private long _sequence;
    private long _bytes;
    private int _count;
    private int _queued;

    public ResponseCacheOptions Options => _options;

    public int Count => Volatile.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The key of a request; <paramref name="caller"/> is the authenticated caller's id, or null on an open route.</summary>
    public KeyHash KeyOf(GatewayRoute route, string method, string pathAndQuery, string? caller, IHeaderDictionary headers, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, route.Id);
        Append(hash, method);
        Append(hash, pathAndQuery);
        Append(hash, caller ?? "");
        foreach (var name in _options.VaryHeaders)
        {
            // Each value is terminated, and so is the list: "a,b" and ["a", "b"] differ, as do absent and empty.
            foreach (var value in headers[name])
            {
                Append(hash, value ?? "");
            }

            hash.AppendData([1]);
        }

        hash.AppendData(body);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        hash.GetHashAndReset(digest);
        return KeyHash.From(digest);
    }

    public CachedResponse? TryGet(GatewayRoute route, KeyHash key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (timeProvider.GetUtcNow().UtcTicks >= entry.ExpiresAt || !string.Equals(entry.ModelVersion, route.ModelVersion, StringComparison.Ordinal))
        {
            Remove(key, entry);
            return null;
        }

        return entry;
    }

    /// <summary>True when the answer's <c>Vary</c> names only request headers that are part of the key.</summary>
    public bool CoversVary(HttpResponseMessage response)
    {
        foreach (var field in response.Headers.Vary)
        {
            if (!_options.VaryHeaders.Contains(field, StringComparer.OrdinalIgnoreCase))
            {
                return false; // "*" included
            }
        }

        return true;
    }

    public void Store(GatewayRoute route, KeyHash key, KeyValuePair<string, StringValues>[] headers, string? modelVersion, byte[] body)
    {
        if (body.Length > _options.MaxEntryBytes)
        {
            return;
        }

        var now = timeProvider.GetUtcNow().UtcTicks;
        var entry = new CachedResponse(headers, modelVersion, body, now, now + route.CacheTtl.Ticks, Interlocked.Increment(ref _sequence));
        if (_entries.TryGetValue(key, out var previous))
        {
            Remove(key, previous);
        }

        if (!_entries.TryAdd(key, entry))
        {
            return;
        }

        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _bytes, body.Length);
        _order.Enqueue((key, entry.Sequence));
        Interlocked.Increment(ref _queued);
        Evict();
    }

    public void Clear()
    {
        while (TryDequeue(out var oldest))
        {
            RemoveQueued(oldest.Key, oldest.Sequence);
        }
    }

    private void Evict()
    {
        // The queue also holds the places of entries already replaced or expired; trimming it when it outgrows twice
        // the entry limit keeps it bounded even when nothing is evicted for size.
        while ((Volatile.Read(ref _count) > _options.MaxEntries || Interlocked.Read(ref _bytes) > _options.MaxBytes
                || Volatile.Read(ref _queued) > 2 * _options.MaxEntries)
               && TryDequeue(out var oldest))
        {
            RemoveQueued(oldest.Key, oldest.Sequence);
        }
    }

    /// <summary>Removes the entry a queue item stands for, when it is still the live one under its key.</summary>
    private void RemoveQueued(KeyHash key, long sequence)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Sequence == sequence)
        {
            Remove(key, entry);
        }
    }

    private bool TryDequeue(out (KeyHash Key, long Sequence) oldest)
    {
        if (!_order.TryDequeue(out oldest))
        {
            return false;
        }

        Interlocked.Decrement(ref _queued);
        return true;
    }

    private void Remove(KeyHash key, CachedResponse entry)
    {
        // Only the exact entry: a newer one under the same key stays.
        if (_entries.TryRemove(new KeyValuePair<KeyHash, CachedResponse>(key, entry)))
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Add(ref _bytes, -entry.Body.Length);
        }
    }

    private static void Append(IncrementalHash hash, string value)
    {
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(value) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(value, buffer)] : Encoding.UTF8.GetBytes(value);
        hash.AppendData(bytes);
        hash.AppendData([0]);
    }
}
