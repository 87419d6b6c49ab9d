using System.Collections.Concurrent;
using Lattice.Gateway.Forwarding;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.Auth;

/// <summary>
/// Turns <c>X-Api-Key</c> or <c>Authorization: Bearer</c> into a principal. API keys are hashed (SHA-256, on the
/// stack) and looked up in a cache in front of the store, negative answers included, so a flood of bad keys does
/// not reach SQLite; anything else in a bearer header is a JWT when JWT validation is configured.
/// </summary>
internal sealed class GatewayAuthenticator(IApiKeyStore store, JwtValidator jwt, IOptions<AuthOptions> options, TimeProvider timeProvider)
{
    private const int MaxCachedKeys = 100_000;

    private readonly ConcurrentDictionary<KeyHash, CachedKey> _cache = new();
    private readonly long _cacheTicks = options.Value.KeyCacheDuration.Ticks;
    private int _cachedCount;

    // Bumped by every invalidation: a lookup that read the store before one must not cache what it read.
    private long _generation;

    /// <summary>Keys in the cache (takes every lock of the dictionary: for tests and diagnostics).</summary>
    internal int CachedKeys => _cache.Count;

    /// <summary>The count that decides when the cache is dropped; <see cref="CachedKeys"/> when nothing races it.</summary>
    internal int CountedKeys => Volatile.Read(ref _cachedCount);

    public ValueTask<AuthResult> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var headers = request.Headers;

        // X-Api-Key, when sent at all, decides alone: one value, and an API key (tokens go in Authorization). Two values,
        // an empty one or a token are invalid credentials, not missing ones, and never fall through to Authorization.
        var apiKey = headers[HeaderRules.ApiKey];
        if (apiKey.Count > 0)
        {
            var key = apiKey.Count == 1 ? apiKey[0].AsSpan().Trim() : default;
            return ApiKeyFormat.LooksLikeKey(key)
                ? AuthenticateKeyAsync(ApiKeyFormat.Hash(key), cancellationToken)
                : ValueTask.FromResult(AuthResult.Fail(AuthFailure.Invalid));
        }

        var authorization = headers.Authorization;
        if (authorization.Count == 0)
        {
            return ValueTask.FromResult(AuthResult.Fail(AuthFailure.Missing));
        }

        if (authorization.Count > 1)
        {
            return ValueTask.FromResult(AuthResult.Fail(AuthFailure.Invalid));
        }

        // Another scheme (Basic, ...) carries no bearer credential: missing, as RFC 6750 §3.1 has it.
        var value = authorization[0];
        if (value is null || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult(AuthResult.Fail(AuthFailure.Missing));
        }

        var span = value.AsSpan(7).Trim();
        if (ApiKeyFormat.LooksLikeKey(span))
        {
            return AuthenticateKeyAsync(ApiKeyFormat.Hash(span), cancellationToken);
        }

        return jwt.Enabled && span.Length > 0
            ? jwt.ValidateAsync(span.ToString())
            : ValueTask.FromResult(AuthResult.Fail(AuthFailure.Invalid));
    }

    /// <summary>
    /// Forgets a key so the next request reads the store again (after a revocation through this gateway), including
    /// what a lookup under way read before the change.
    /// </summary>
    public void Invalidate(KeyHash hash)
    {
        Interlocked.Increment(ref _generation); // first: a lookup that caches after the removal below sees it moved
        if (_cache.TryRemove(hash, out _))
        {
            Interlocked.Decrement(ref _cachedCount);
        }
    }

    /// <summary>Forgets every key, as <see cref="Invalidate"/> does one.</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        Clear();
    }

    private void Clear()
    {
        _cache.Clear();
        Volatile.Write(ref _cachedCount, 0);
    }

    private ValueTask<AuthResult> AuthenticateKeyAsync(KeyHash hash, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && now.UtcTicks - cached.FetchedAt < _cacheTicks)
        {
            return ValueTask.FromResult(Check(cached, now));
        }

        return LoadAsync(hash, now, cancellationToken);
    }

    private async ValueTask<AuthResult> LoadAsync(KeyHash hash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Read(ref _generation);
        var record = await store.FindByHashAsync(hash, cancellationToken);
        var principal = record is null
            ? null
            : new GatewayPrincipal("key:" + record.Id, [.. record.Scopes], record.ExpiresAt, record.PermitsPerSecond, record.Burst);
        var entry = new CachedKey(record, principal, now.UtcTicks);
        if (Interlocked.Read(ref _generation) == generation)
        {
            Store(hash, entry);

            // An invalidation between the check above and the store: it may have missed this entry, so take it back.
            // (Interlocked.Read is a full fence: the entry is visible before the generation is read again, as the
            // generation moves before the invalidation looks for entries.)
            if (Interlocked.Read(ref _generation) != generation
                && _cache.TryRemove(new KeyValuePair<KeyHash, CachedKey>(hash, entry)))
            {
                Interlocked.Decrement(ref _cachedCount);
            }
        }

        // The request under way is judged by what it read; only later ones must see the change.
        return Check(entry, now);
    }

    /// <summary>Caches an entry; only a new key counts towards the limit, a refresh replaces its entry in place.</summary>
    private void Store(KeyHash hash, CachedKey entry)
    {
        while (true)
        {
            if (_cache.TryGetValue(hash, out var previous))
            {
                if (_cache.TryUpdate(hash, entry, previous))
                {
                    return;
                }
            }
            else
            {
                if (Volatile.Read(ref _cachedCount) >= MaxCachedKeys)
                {
                    Clear();
                }

                if (_cache.TryAdd(hash, entry))
                {
                    Interlocked.Increment(ref _cachedCount);
                    return;
                }
            }
        }
    }

    private static AuthResult Check(CachedKey cached, DateTimeOffset now)
    {
        if (cached.Record is not { } record)
        {
            return AuthResult.Fail(AuthFailure.Invalid);
        }

        if (record.RevokedAt is not null)
        {
            return AuthResult.Fail(AuthFailure.Revoked);
        }

        if (record.ExpiresAt is { } expires && expires <= now)
        {
            return AuthResult.Fail(AuthFailure.Expired);
        }

        return new AuthResult(cached.Principal, AuthFailure.None);
    }

    private sealed record CachedKey(ApiKeyRecord? Record, GatewayPrincipal? Principal, long FetchedAt);
}
