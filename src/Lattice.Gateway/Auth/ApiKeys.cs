using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Lattice.Gateway.Auth;

/// <summary>A stored API key: never the secret, only its SHA-256.</summary>
public sealed record ApiKeyRecord(
    string Id,
    string Name,
    string DisplayPrefix,
    byte[] Hash,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    double? PermitsPerSecond,
    int? Burst);

/// <summary>
/// The key format: <c>lat_</c> followed by 256 random bits in base64url (43 characters). The prefix makes leaked keys
/// easy to spot by secret scanners; the store keeps SHA-256 of the whole string, which is enough for 256-bit random
/// secrets (a slow password hash would only cost latency on every request).
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "lat_";
    public const int SecretBytes = 32;
    public const int Length = 47;

    /// <summary>A new random key.</summary>
    public static string Generate()
    {
        Span<byte> secret = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(secret);
        return Prefix + Base64Url.EncodeToString(secret);
    }

    /// <summary>True when <paramref name="candidate"/> has the shape of a Lattice key (cheap check before hashing).</summary>
    public static bool LooksLikeKey(ReadOnlySpan<char> candidate) =>
        candidate.Length == Length && candidate.StartsWith(Prefix, StringComparison.Ordinal);

    public static KeyHash Hash(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[Length * 3];
        var written = Encoding.UTF8.GetBytes(key, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..written], hash);
        return KeyHash.From(hash);
    }

    /// <summary>The first characters shown in listings so people can tell their keys apart.</summary>
    public static string DisplayPrefixOf(string key) => key[..12];
}

/// <summary>A SHA-256 value as four words: a dictionary key without allocations, compared in constant time.</summary>
public readonly struct KeyHash : IEquatable<KeyHash>
{
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private KeyHash(ulong a, ulong b, ulong c, ulong d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    public static KeyHash From(ReadOnlySpan<byte> sha256)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(sha256.Length, 32);
        return new KeyHash(
            BinaryPrimitives.ReadUInt64LittleEndian(sha256),
            BinaryPrimitives.ReadUInt64LittleEndian(sha256[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(sha256[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(sha256[24..]));
    }

    public byte[] ToArray()
    {
        var bytes = new byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), _b);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), _c);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), _d);
        return bytes;
    }

    // No early exit: the comparison takes the same time whichever word differs.
    public bool Equals(KeyHash other) => ((_a ^ other._a) | (_b ^ other._b) | (_c ^ other._c) | (_d ^ other._d)) == 0;

    public override bool Equals(object? obj) => obj is KeyHash other && Equals(other);

    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);

    public static bool operator ==(KeyHash left, KeyHash right) => left.Equals(right);

    public static bool operator !=(KeyHash left, KeyHash right) => !left.Equals(right);
}
