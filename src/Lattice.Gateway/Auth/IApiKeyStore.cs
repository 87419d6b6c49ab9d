namespace Lattice.Gateway.Auth;

/// <summary>Where API keys live. SQLite in the data folder today; the control plane's registry later, behind the same interface.</summary>
public interface IApiKeyStore
{
    /// <summary>Creates the schema if needed.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>The key whose SHA-256 is <paramref name="hash"/> (revoked and expired ones too), or null.</summary>
    Task<ApiKeyRecord?> FindByHashAsync(KeyHash hash, CancellationToken cancellationToken);

    Task AddAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Marks a key revoked; false when there is no such key.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken);

    /// <summary>Sets a marker once; false when it was already set (used so the bootstrap key is generated only once).</summary>
    Task<bool> TrySetMarkerAsync(string name, string value, CancellationToken cancellationToken);
}
