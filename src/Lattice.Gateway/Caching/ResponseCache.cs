using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Lattice.Gateway.Auth;
using Lattice.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.Caching;

/// <summary>A cached 200 response: what is needed to replay it, and when it was stored.</summary>
internal sealed record CachedResponse(string? ContentType, string? ModelVersion, byte[] Body, long StoredAt, long ExpiresAt);

/// <summary>
/// Cache of repeat predictions. The key is route + method + path and query + SHA-256 of the body; an entry is
/// served only while fresh and while its model version is the one the route's upstream reported last, so a new
/// model invalidates every answer of the old one. Bounded by entries and bytes, oldest evicted first.
/// </summary>
internal sealed class ResponseCache(IOptions<ResponseCacheOptions> options, TimeProvider timeProvider)
{
    private readonly ResponseCacheOptions _options = options.Value;
    private readonly ConcurrentDictionary<KeyHash, CachedResponse> _entries = new();
    private readonly ConcurrentQueue<(KeyHash Key, CachedResponse Entry)> _order = new();
    private long _bytes;
    private int _count;
    private int _queued;

    public ResponseCacheOptions Options => _options;

    public int Count => Volatile.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    public static KeyHash KeyOf(GatewayRoute route, string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, route.Id);
        Append(hash, method);
        Append(hash, pathAndQuery);
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

    public void Store(GatewayRoute route, KeyHash key, string? contentType, string? modelVersion, byte[] body)
    {
        if (body.Length > _options.MaxEntryBytes)
        {
            return;
        }

        var now = timeProvider.GetUtcNow().UtcTicks;
        var entry = new CachedResponse(contentType, modelVersion, body, now, now + route.CacheTtl.Ticks);
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
        _order.Enqueue((key, entry));
        Interlocked.Increment(ref _queued);
        Evict();
    }

    public void Clear()
    {
        while (TryDequeue(out var oldest))
        {
            Remove(oldest.Key, oldest.Entry);
        }
    }

    private void Evict()
    {
        // The queue also holds entries already replaced or expired; trimming it when it outgrows twice the
        // entry limit keeps it bounded even when nothing is evicted for size.
        while ((Volatile.Read(ref _count) > _options.MaxEntries || Interlocked.Read(ref _bytes) > _options.MaxBytes
                || Volatile.Read(ref _queued) > 2 * _options.MaxEntries)
               && TryDequeue(out var oldest))
        {
            Remove(oldest.Key, oldest.Entry);
        }
    }

    private bool TryDequeue(out (KeyHash Key, CachedResponse Entry) oldest)
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
