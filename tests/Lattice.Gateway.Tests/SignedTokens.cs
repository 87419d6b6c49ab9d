using System.Security.Claims;
using Lattice.Gateway.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lattice.Gateway.Tests;

/// <summary>
/// HS256 tokens with scope predict:* from issuer https://login.example for audience lattice, and a validator (or a
/// gateway's settings) that trusts their key.
/// </summary>
internal sealed class SignedTokens
{
    private readonly byte[] _secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    public JwtValidator Validator()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new AuthOptions());
        options.Value.Jwt.Issuer = "https://login.example";
        options.Value.Jwt.Audience = "lattice";
        options.Value.Jwt.SigningKeys.Add(Convert.ToBase64String(_secret));
        return new JwtValidator(options, TimeProvider.System);
    }

    /// <summary>The gateway settings that make it accept these tokens.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Lattice:Gateway:Auth:Jwt:Issuer"] = "https://login.example",
        ["Lattice:Gateway:Auth:Jwt:Audience"] = "lattice",
        ["Lattice:Gateway:Auth:Jwt:SigningKeys:0"] = Convert.ToBase64String(_secret),
    };

    /// <summary>A token with exactly the given times (none added by the handler) and claims.</summary>
    public string Create(DateTime? notBefore, DateTime? expires, params Claim[] claims) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://login.example",
            Audience = "lattice",
            Subject = new ClaimsIdentity([new Claim("scope", "predict:*"), .. claims]),
            NotBefore = notBefore,
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_secret), SecurityAlgorithms.HmacSha256),
        });

    /// <summary>
    /// A token signed (HS256) over exactly the given JOSE header and claims, for what the token handler will not write
    /// (a <c>crit</c> header, an <c>exp</c> at the edge of <see cref="DateTime.MaxValue"/>).
    /// </summary>
    public string CreateRaw(string headerJson, string payloadJson)
    {
        var signingInput = Base64UrlEncoder.Encode(headerJson) + "." + Base64UrlEncoder.Encode(payloadJson);
        var signature = System.Security.Cryptography.HMACSHA256.HashData(_secret, System.Text.Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>The claims of <see cref="Create"/> (issuer, audience, scope predict:*) and the given raw <c>exp</c>, as JSON.</summary>
    public static string Payload(long expires) =>
        $$"""{"iss":"https://login.example","aud":"lattice","sub":"u","scope":"predict:*","exp":{{expires}}}""";
}
