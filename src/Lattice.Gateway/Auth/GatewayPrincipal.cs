using Lattice.Gateway.RateLimiting;

namespace Lattice.Gateway.Auth;

/// <summary>Who is calling: an API key or a JWT subject, with its scopes and rate limit overrides.</summary>
internal sealed class GatewayPrincipal(string id, string[] scopes, DateTimeOffset? expiresAt, double? permitsPerSecond, int? burst)
{
    /// <summary>
    /// <c>key:&lt;id&gt;</c> for API keys; <c>jwt:sub:&lt;sub&gt;</c>, <c>jwt:client:&lt;client_id&gt;</c> or
    /// <c>jwt:token:&lt;hash&gt;</c> for tokens; the rate limit and response cache partition.
    /// </summary>
    public string Id { get; } = id;

    public string[] Scopes { get; } = scopes;

    public DateTimeOffset? ExpiresAt { get; } = expiresAt;

    public double? PermitsPerSecond { get; } = permitsPerSecond;

    public int? Burst { get; } = burst;

    /// <summary>The principal's token bucket, looked up once per cached principal rather than per request.</summary>
    public TokenBucket? Bucket { get; set; }

    public bool Allows(string requiredScope) => Auth.Scopes.Allows(Scopes, requiredScope);
}

/// <summary>Why a request could not be authenticated (401).</summary>
internal enum AuthFailure
{
    None,
    Missing,
    Invalid,
    Expired,
    Revoked,
}

internal readonly record struct AuthResult(GatewayPrincipal? Principal, AuthFailure Failure)
{
    public static AuthResult Fail(AuthFailure failure) => new(null, failure);
}
