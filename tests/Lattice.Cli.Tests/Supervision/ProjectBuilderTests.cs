using System.Diagnostics;
using System.Globalization;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;
using Lattice.Cli.Tests.Support;

namespace Lattice.Cli.Tests.Supervision;

/// <summary>When <c>lattice up</c> rebuilds a component: a temporary tree of two projects, one referencing the other.</summary>
public sealed class ProjectBuilderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lattice-stale-").FullName;
    private readonly DateTime _past = DateTime.UtcNow.AddHours(-2);

    public ProjectBuilderTests()
    {
        Write("Lib/Lib.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />", _past);
        Write("Lib/Code.cs", "class Code {}", _past);
        Write("App/App.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><ProjectReference Include=\"../Lib/Lib.csproj\" /></ItemGroup></Project>", _past);
        Write("App/Program.cs", "class Program {}", _past);
    }

    [Fact]
    public void IsStale_NoOutput_IsStale() => Assert.True(ProjectBuilder.IsStale(Plan(), Component()));

    [Fact]
    public void IsStale_OutputNewerThanEverySource_IsNotStale()
    {
        Built("App.dll", _past.AddMinutes(10));
        Built("Lib.dll", _past.AddMinutes(10));

        Assert.False(ProjectBuilder.IsStale(Plan(), Component()));
    }

    [Fact]
    public void IsStale_ReferencedProjectRebuiltWithoutTouchingTheComponentAssembly_IsNotStale()
    {
        // A change inside Lib that keeps its public surface: Lib.dll is rebuilt and copied, App.dll is not recompiled.
        Built("App.dll", _past.AddMinutes(10));
        File.SetLastWriteTimeUtc(Path.Combine(_root, "Lib/Code.cs"), _past.AddMinutes(20));
        Built("Lib.dll", _past.AddMinutes(21));

        Assert.False(ProjectBuilder.IsStale(Plan(), Component()));
    }

    [Fact]
    public void IsStale_ReferencedSourceNewerThanItsCopiedAssembly_IsStale()
    {
        Built("App.dll", _past.AddMinutes(10));
        Built("Lib.dll", _past.AddMinutes(10));
        File.SetLastWriteTimeUtc(Path.Combine(_root, "Lib/Code.cs"), _past.AddMinutes(20));

        Assert.True(ProjectBuilder.IsStale(Plan(), Component()));
    }

    [Fact]
    public void IsStale_OwnSourceNewerThanItsAssembly_IsStale()
    {
        Built("App.dll", _past.AddMinutes(10));
        Built("Lib.dll", _past.AddMinutes(10));
        File.SetLastWriteTimeUtc(Path.Combine(_root, "App/Program.cs"), _past.AddMinutes(20));

        Assert.True(ProjectBuilder.IsStale(Plan(), Component()));
    }

    [Fact]
    public async Task RunAsync_Cancelled_KillsTheCommandAndItsChildren()
    {
        // A stand-in for dotnet build: a shell that starts a long child (as MSBuild starts nodes) and waits on it.
        var pids = Path.Combine(_root, "pids");
        var info = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"sleep 120 & echo $$ $! > '{pids}'; wait");
        using var cancel = new CancellationTokenSource();
        var run = ProjectBuilder.RunAsync(info, cancel.Token);
        int[] started = [];
        try
        {
            started = await PidsAsync(pids);
            await cancel.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

            // The shell was waited for; its child got SIGKILL too, which lands a moment later: wait for it, with a
            // bound only to catch a survivor.
            using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (started.Any(IsAlive) && !hang.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }

            Assert.All(started, pid => Assert.False(IsAlive(pid), $"process {pid} outlived the cancelled build"));
        }
        finally
        {
            foreach (var pid in started.Where(IsAlive))
            {
                Process.GetProcessById(pid).Kill();
            }
        }
    }

    [Fact]
    public async Task RunAsync_CommandFails_ReturnsItsExitCodeAndOutput()
    {
        var info = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("echo out; echo err >&2; exit 3");

        var (exitCode, output) = await ProjectBuilder.RunAsync(info, TestContext.Current.CancellationToken);

        Assert.Equal(3, exitCode);
        Assert.Equal($"out\nerr\n", output);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task<int[]> PidsAsync(string file)
    {
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (File.Exists(file) && (await File.ReadAllTextAsync(file, hang.Token)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is [var shell, var sleep])
            {
                return [int.Parse(shell, CultureInfo.InvariantCulture), int.Parse(sleep, CultureInfo.InvariantCulture)];
            }

            await Task.Delay(20, hang.Token);
        }
    }

    /// <summary>Running, and not a zombie (an orphan may wait a while for a reaper in a container).</summary>
    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..] is not ['Z' or 'X', ..];
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Write(string relative, string text, DateTime at)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, at);
    }

    private void Built(string assembly, DateTime at) => Write(Path.Combine("App/bin/Release/net10.0", assembly), "", at);

    private PlatformPlan Plan() => TestPlans.For(_root, Component());

    private ComponentPlan Component() => new()
    {
        Name = "app",
        Kind = ComponentKind.Service,
        ProjectFolder = Path.Combine(_root, "App"),
        ProjectName = "App",
        Replicas = [],
        Environment = new Dictionary<string, string>(),
    };
}
