using System.Security.Cryptography;

namespace Lattice.Cli.Supervision;

/// <summary>
/// The platform's bootstrap admin API key: generated once (256 random bits, <c>lat_</c> prefix) and kept in
/// <c>&lt;data&gt;/admin.key</c>, readable only by the user, so every <c>lattice up</c> uses the same key.
/// </summary>
public static class AdminKey
{
    public const string FileName = "admin.key";

    public static string LoadOrCreate(string dataFolder)
    {
        var path = Path.Combine(dataFolder, FileName);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return existing;
            }
        }

        Directory.CreateDirectory(dataFolder);
        var key = "lat_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(path, key + Environment.NewLine);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }

    public static string? TryLoad(string dataFolder)
    {
        var path = Path.Combine(dataFolder, FileName);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
