using System.ComponentModel.DataAnnotations;

namespace Lattice.Gateway.Auth;

/// <summary>API keys and JWT bearer tokens (section <c>Lattice:Gateway:Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Lattice:Gateway:Auth";

    /// <summary>Folder of the key store (<c>gateway-keys.db</c>), relative to the content root unless absolute.</summary>
    [Required]
    public string DataFolder { get; set; } = "data";

    /// <summary>
    /// An admin key to register at start (e.g. from a secret). When absent and the store was never bootstrapped,
    /// the gateway generates one and prints it once to standard output.
    /// </summary>
    [RegularExpression("^lat_[A-Za-z0-9_-]{43}$", ErrorMessage = "BootstrapAdminKey must be a Lattice key: 'lat_' and 43 base64url characters.")]
    public string? BootstrapAdminKey { get; set; }

    /// <summary>How long a key looked up in the store is trusted before it is read again (bounds how late a revocation made elsewhere bites).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Optional JWT bearer validation; off unless <see cref="JwtOptions.Issuer"/> is set.</summary>
    public JwtOptions Jwt { get; set; } = new();
}

/// <summary>JWT bearer validation: issuer, audience and signing keys from configuration (no discovery document).</summary>
public sealed class JwtOptions
{
    /// <summary>Required <c>iss</c>; JWT validation is enabled when this is set.</summary>
    public string? Issuer { get; set; }

    /// <summary>Required <c>aud</c>.</summary>
    public string? Audience { get; set; }

    /// <summary>Symmetric signing keys (HS256/384/512), base64, at least 32 bytes each.</summary>
    public IList<string> SigningKeys { get; } = [];

    /// <summary>Asymmetric public keys (RSA or EC) in PEM, for RS*/ES*/PS* tokens.</summary>
    public IList<string> PublicKeysPem { get; } = [];

    /// <summary>Claim holding the space-separated scopes (<c>scope</c>, or <c>scp</c> as Entra ID writes it).</summary>
    [Required]
    public string ScopeClaim { get; set; } = "scope";

    /// <summary>Tolerated clock difference between the token issuer and the gateway.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Issuer);
}
