using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lattice.Gateway.Auth;

/// <summary>
/// Validates JWT bearer tokens against the issuer, audience and signing keys in configuration. The scopes come from
/// the configured claim (space-separated); the caller's identity (the rate-limit and cache partition) is the subject,
/// else the OAuth client (<c>client_id</c>, <c>azp</c>), else the token itself, so callers never share a partition.
/// </summary>
internal sealed class JwtValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters? _parameters;
    private readonly string _scopeClaim;

    public JwtValidator(IOptions<AuthOptions> options, TimeProvider timeProvider)
    {
        var jwt = options.Value.Jwt;
        _scopeClaim = jwt.ScopeClaim;
        if (!jwt.Enabled)
        {
            return;
        }

        var keys = new List<SecurityKey>();
        foreach (var secret in jwt.SigningKeys)
        {
            keys.Add(new SymmetricSecurityKey(Convert.FromBase64String(secret)));
        }

        foreach (var pem in jwt.PublicKeysPem)
        {
            keys.Add(LoadPublicKey(pem));
        }

        _parameters = new TokenValidationParameters
        {
            ValidIssuer = jwt.Issuer,
            ValidateIssuer = true,
            ValidAudience = jwt.Audience,
            ValidateAudience = !string.IsNullOrEmpty(jwt.Audience),
            IssuerSigningKeys = keys,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = jwt.ClockSkew,
            // On the injected clock. A delegate replaces the library's whole lifetime check, RequireExpirationTime
            // included: a token without 'exp' (which would never expire) is refused here.
            LifetimeValidator = (notBefore, expires, _, parameters) =>
            {
                var now = timeProvider.GetUtcNow().UtcDateTime;
                if (expires is null)
                {
                    throw new SecurityTokenNoExpirationException("The token has no expiration time ('exp').");
                }

                // The skew moves the clock, never the token's times: an 'exp' within ClockSkew of DateTime.MaxValue
                // (or an 'nbf' near MinValue) would overflow, while now ± ClockSkew (at most 10 minutes) cannot.
                if (notBefore is { } start && start > now + parameters.ClockSkew)
                {
                    throw new SecurityTokenNotYetValidException($"The token is not valid before {start:O}.") { NotBefore = start };
                }

                if (expires.Value <= now - parameters.ClockSkew)
                {
                    throw new SecurityTokenExpiredException($"The token expired at {expires.Value:O}.") { Expires = expires.Value };
                }

                return true;
            },
        };
    }

    public bool Enabled => _parameters is not null;

    public async ValueTask<AuthResult> ValidateAsync(string token)
    {
        if (_parameters is null)
        {
            return AuthResult.Fail(AuthFailure.Invalid);
        }

        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid)
        {
            // "Expired" only for a token past its 'exp'; one not yet valid, or without 'exp', is invalid.
            return AuthResult.Fail(result.Exception is SecurityTokenExpiredException ? AuthFailure.Expired : AuthFailure.Invalid);
        }

        if (result.SecurityToken is JsonWebToken validated && HasCriticalHeader(validated))
        {
            return AuthResult.Fail(AuthFailure.Invalid);
        }

        var scopes = result.Claims.TryGetValue(_scopeClaim, out var raw) ? ScopesOf(raw) : [];
        var expires = result.SecurityToken is JsonWebToken jwt && jwt.ValidTo != DateTime.MinValue ? new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) : (DateTimeOffset?)null;
        return new AuthResult(new GatewayPrincipal(CallerId(result.Claims, token), scopes, expires, null, null), AuthFailure.None);
    }

    /// <summary>
    /// RFC 7515 §4.1.11: a JWS whose <c>crit</c> header names an extension the recipient does not understand must be
    /// refused, and a <c>crit</c> that is not a non-empty array of names is malformed. The gateway understands no
    /// extension, so any <c>crit</c> makes the token invalid (the token handler ignores the parameter).
    /// </summary>
    private static bool HasCriticalHeader(JsonWebToken token) => token.TryGetHeaderValue<object>("crit", out _);

    private static string CallerId(IDictionary<string, object> claims, string token)
    {
        if (Claim(claims, "sub") is { } subject)
        {
            return "jwt:sub:" + subject; // one prefix per kind: a subject "client:x" is not the client "x"
        }

        if ((Claim(claims, "client_id") ?? Claim(claims, "azp")) is { } client)
        {
            return "jwt:client:" + client;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token), hash);
        return "jwt:token:" + Convert.ToHexStringLower(hash[..16]);
    }

    private static string? Claim(IDictionary<string, object> claims, string name) =>
        claims.TryGetValue(name, out var value) && value?.ToString() is { Length: > 0 } text ? text : null;

    private static string[] ScopesOf(object? raw) => raw switch
    {
        string text => text.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        IEnumerable<object> list => [.. list.Select(item => item.ToString()).OfType<string>()],
        _ => [],
    };

    private static SecurityKey LoadPublicKey(string pem)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (ArgumentException)
        {
            // Not an RSA key: try EC below.
            rsa.Dispose();
        }

        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        return new ECDsaSecurityKey(ecdsa);
    }
}
