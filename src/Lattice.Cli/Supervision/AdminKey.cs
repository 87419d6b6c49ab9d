using System.Buffers.Text;
using System.Security.Cryptography;

namespace Lattice.Cli.Supervision;

/// <summary>
/// The platform's bootstrap admin API key: generated once and kept in <c>&lt;data&gt;/admin.key</c>, readable only
/// by the user, so every <c>lattice up</c> uses the same key. The format is the gateway's
/// (<c>Lattice.Gateway.Auth.ApiKeyFormat</c>): <c>lat_</c> and 256 random bits in base64url, 47 characters.
/// </summary>
public static class AdminKey
{
    public const string FileName = "admin.key";

    private const string Prefix = "lat_";
    private const int KeyLength = 47;

    /// <summary>Mode 0600.</summary>
    internal const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string LoadOrCreate(string dataFolder)
    {
        var path = Path.Combine(dataFolder, FileName);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length == KeyLength && existing.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return existing;
            }
        }

        Directory.CreateDirectory(dataFolder);
        var key = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        // Created readable by the user only from the first byte: a chmod after writing leaves a window in which
        // the key is readable by others. An invalid file is replaced, not rewritten, so the mode applies to it too.
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using (var writer = new StreamWriter(path, options))
        {
            writer.WriteLine(key);
        }

        return key;
    }

    public static string? TryLoad(string dataFolder)
    {
        var path = Path.Combine(dataFolder, FileName);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
