using System.Security.Cryptography;
using Lattice.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.Auth;

/// <summary>Creates, lists and revokes keys, and makes sure an admin key exists on first start.</summary>
internal sealed class ApiKeyService(
    IApiKeyStore store,
    GatewayAuthenticator authenticator,
    IOptions<AuthOptions> options,
    TimeProvider timeProvider,
    ILogger<ApiKeyService> logger)
{
    private const string BootstrappedMarker = "bootstrapped";

    /// <summary>Creates a key; the returned plaintext is shown once and never stored.</summary>
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(
        string name, IReadOnlyList<string> scopes, DateTimeOffset? expiresAt, double? permitsPerSecond, int? burst, CancellationToken cancellationToken)
    {
        var key = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord(
            NewId(),
            name,
            ApiKeyFormat.DisplayPrefixOf(key),
            ApiKeyFormat.Hash(key).ToArray(),
            [.. scopes.Distinct(StringComparer.Ordinal)],
            timeProvider.GetUtcNow(),
            expiresAt,
            null,
            permitsPerSecond,
            burst);
        await store.AddAsync(record, cancellationToken);
        GatewayLog.KeyCreated(logger, record.Id, name, string.Join(' ', record.Scopes));
        return (record, key);
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    /// <summary>True when <paramref name="id"/> is the record of the bootstrap admin key configuration currently sets.</summary>
    public async Task<bool> IsConfiguredBootstrapAsync(string id, CancellationToken cancellationToken) =>
        options.Value.BootstrapAdminKey is { } configured
        && await store.FindByHashAsync(ApiKeyFormat.Hash(configured), cancellationToken) is { } record
        && string.Equals(record.Id, id, StringComparison.Ordinal);

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var revoked = await store.RevokeAsync(id, timeProvider.GetUtcNow(), cancellationToken);
        if (revoked)
        {
            // The cache is keyed by hash, which the id does not give; revocations are rare, so forget everything.
            authenticator.InvalidateAll();
            GatewayLog.KeyRevoked(logger, id);
        }

        return revoked;
    }

    /// <summary>
    /// Creates the schema, registers the configured bootstrap key, or, on the very first start without one,
    /// generates an admin key and writes it to <paramref name="output"/> once (a marker keeps it from happening again).
    /// </summary>
    public async Task InitializeAsync(TextWriter output, CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        if (options.Value.BootstrapAdminKey is { } configured)
        {
            var hash = ApiKeyFormat.Hash(configured);
            if (await store.FindByHashAsync(hash, cancellationToken) is null)
            {
                var record = new ApiKeyRecord(
                    "bootstrap-" + NewId(), "bootstrap (configuration)", ApiKeyFormat.DisplayPrefixOf(configured), hash.ToArray(),
                    [Scopes.Admin], timeProvider.GetUtcNow(), null, null, null, null);
                await store.AddAsync(record, cancellationToken);
                GatewayLog.BootstrapKeyConfigured(logger, record.Id);
            }

            await store.TrySetMarkerAsync(BootstrappedMarker, timeProvider.GetUtcNow().ToString("O"), cancellationToken);
            return;
        }

        if (!await store.TrySetMarkerAsync(BootstrappedMarker, timeProvider.GetUtcNow().ToString("O"), cancellationToken))
        {
            return;
        }

        var (_, key) = await CreateAsync("bootstrap (generated)", [Scopes.Admin], null, null, null, cancellationToken);
        await output.WriteLineAsync(
            $"""

            Lattice gateway: first start. An admin API key was generated; it is shown this once and stored only as a hash:

                {key}

            Use it as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>', e.g. to create other keys at POST /gateway/keys.

            """.AsMemory(), cancellationToken);
        await output.FlushAsync(cancellationToken);
        GatewayLog.BootstrapKeyGenerated(logger);
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
