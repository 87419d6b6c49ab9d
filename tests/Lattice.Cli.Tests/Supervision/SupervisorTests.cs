using System.Globalization;
using System.Text.RegularExpressions;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;
using Lattice.Cli.Tests.Support;
using Spectre.Console;

namespace Lattice.Cli.Tests.Supervision;

/// <summary><c>lattice up</c> against a component whose process exits at once (an empty assembly: dotnet refuses it).</summary>
public sealed class SupervisorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lattice-up-").FullName;
    private readonly StringWriter _output = new();

    [Fact]
    public async Task RunAsync_ChildExitsBeforeEverBecomingReady_StopsAfterStartupAttemptsAndNamesItsLog()
    {
        var component = new ComponentPlan
        {
            Name = "orchestrator",
            Kind = ComponentKind.Orchestrator,
            ProjectFolder = Path.Combine(_root, "App"),
            ProjectName = "App",
            Replicas = [new ReplicaPlan("orchestrator", 0, TestPorts.Free())],
            Environment = new Dictionary<string, string>(),
        };
        var assembly = component.AssemblyPath("Release");
        Directory.CreateDirectory(Path.GetDirectoryName(assembly)!);
        File.WriteAllText(assembly, string.Empty);
        // The ready timeout is far longer than the test may take: without the startup rule it would wait for it.
        var plan = TestPlans.For(_root, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(20), component);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_output),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        // Only to catch a hang; RunAsync stops every child whatever happens.
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sut = new Supervisor(plan, console, TimeProvider.System);

        var exitCode = await sut.RunAsync(build: false, hang.Token);

        Assert.Equal(1, exitCode);
        var output = _output.ToString();
        // The child may exit again between two polls, so the count is at least the limit.
        var failed = Regex.Match(output, @"orchestrator exited (\d+) times in a row before becoming ready");
        Assert.True(failed.Success, output);
        Assert.True(int.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture) >= Supervisor.StartupAttempts, output);
        Assert.Contains(Path.Combine(plan.DataFolder, "logs", "orchestrator.log"), output, StringComparison.Ordinal);
        Assert.DoesNotContain("Not every process became ready in time", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
