using System.Runtime.Versioning;
using Lattice.Cli.Supervision;

namespace Lattice.Cli.Tests.Supervision;

// File modes are Unix only; each test is skipped on Windows.
[UnsupportedOSPlatform("windows")]
public sealed class AdminKeyTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("lattice-key-").FullName;

    [Fact]
    public void LoadOrCreate_NoKey_CreatesOneReadableOnlyByTheUser()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");

        var key = AdminKey.LoadOrCreate(_data);

        var path = Path.Combine(_data, AdminKey.FileName);
        Assert.Equal(AdminKey.OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal(key, AdminKey.LoadOrCreate(_data));
    }

    [Fact]
    public void LoadOrCreate_InvalidKeyReadableByOthers_IsReplacedByAnOwnerOnlyFile()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var path = Path.Combine(_data, AdminKey.FileName);
        File.WriteAllText(path, "not a key");
        File.SetUnixFileMode(path, AdminKey.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var key = AdminKey.LoadOrCreate(_data);

        Assert.StartsWith("lat_", key, StringComparison.Ordinal);
        Assert.Equal(AdminKey.OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal(key, File.ReadAllText(path).Trim());
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
