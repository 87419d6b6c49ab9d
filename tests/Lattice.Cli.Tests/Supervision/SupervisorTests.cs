using System.Globalization;
using System.Text.RegularExpressions;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;
using Lattice.Cli.Tests.Support;
using Lattice.Shared;
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
        var plan = FailingAtStart();

        var exitCode = await RunAsync(plan);

        Assert.Equal(1, exitCode);
        AssertStoppedByTheStartupRule();
        var output = _output.ToString();
        Assert.Contains(Path.Combine(plan.DataFolder, "logs", "orchestrator.log"), output, StringComparison.Ordinal);
        Assert.DoesNotContain("Not every process became ready in time", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_DataFolderIsAFile_SaysSoAndExitsWith2WithoutStartingAnything()
    {
        // An unhandled IOException with its stack trace before.
        var component = Component("orchestrator", ComponentKind.Orchestrator, replicas: 1);
        var plan = TestPlans.For(_root, component);
        File.WriteAllText(plan.DataFolder, "not a folder");

        var exitCode = await RunAsync(plan);

        Assert.Equal(2, exitCode);
        var output = _output.ToString();
        Assert.Contains($"The data folder {plan.DataFolder} cannot be used", output, StringComparison.Ordinal);
        Assert.Contains("dataFolder", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_DataFolderHeldByAnotherLatticeUp_RefusesWithExit1AndLeavesItsFilesAlone()
    {
        // Two lattice up runs with other ports but one data folder both ran: the second took over state.json, the
        // logs and the gateway's key store.
        var component = Component("orchestrator", ComponentKind.Orchestrator, replicas: 1);
        var plan = TestPlans.For(_root, component);
        Directory.CreateDirectory(plan.DataFolder);
        var statePath = Path.Combine(plan.DataFolder, Supervisor.StateFileName);
        File.WriteAllText(statePath, "{\"theirs\": true}");
        using (var other = DataFolderLock.TryAcquire(plan.DataFolder))
        {
            Assert.NotNull(other);

            var exitCode = await RunAsync(plan);

            Assert.Equal(1, exitCode);
            Assert.Contains($"The data folder {plan.DataFolder} is in use by another lattice up", _output.ToString(), StringComparison.Ordinal);
            Assert.Equal("{\"theirs\": true}", File.ReadAllText(statePath));
            Assert.False(Directory.Exists(Path.Combine(plan.DataFolder, "logs")));
        }

        using var again = DataFolderLock.TryAcquire(plan.DataFolder);
        Assert.NotNull(again); // released with its holder
    }

    [Fact]
    public async Task RunAsync_StateJson_NamesTheSupervisorByPidAndStartTime()
    {
        // lattice status compares both: a process that took the pid over after lattice died is not "running".
        var plan = FailingAtStart();

        await RunAsync(plan);

        var json = await File.ReadAllTextAsync(Path.Combine(plan.DataFolder, Supervisor.StateFileName), TestContext.Current.CancellationToken);
        var state = System.Text.Json.JsonSerializer.Deserialize<PlatformState>(json, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        Assert.Equal(Environment.ProcessId, state.SupervisorPid);
        Assert.Equal(SupervisorIdentity.OwnStartStamp, state.SupervisorStartedAt);
        Assert.True(SupervisorIdentity.IsRunning(state.SupervisorPid, state.SupervisorStartedAt));
        Assert.False(SupervisorIdentity.IsRunning(state.SupervisorPid, state.SupervisorStartedAt - 60_000));
    }

    [Fact]
    public async Task RunAsync_StateJsonCannotBeWritten_SupervisesAsUsualAndLogsItOnce()
    {
        Assert.SkipUnless(File.Exists("/dev/full"), "Needs /dev/full, where every write fails as on a full disk.");
        var plan = FailingAtStart();
        var state = Path.Combine(plan.DataFolder, Supervisor.StateFileName);
        File.CreateSymbolicLink(state + ".tmp", "/dev/full");

        var exitCode = await RunAsync(plan);

        // Every state change failed to be written, and the child was still restarted until the startup rule saw it fail.
        Assert.Equal(1, exitCode);
        AssertStoppedByTheStartupRule();
        var log = File.ReadAllLines(Path.Combine(plan.DataFolder, "logs", "lattice.log"));
        Assert.Single(log, l => l.Contains($"could not write {state} (No space left on device", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_DiskFull_SupervisesAsUsual()
    {
        Assert.SkipUnless(File.Exists("/dev/full"), "Needs /dev/full, where every write fails as on a full disk.");
        var plan = FailingAtStart();
        // state.json, lattice's own log and the child's log all fail to be written.
        foreach (var file in new[] { Supervisor.StateFileName + ".tmp", Path.Combine("logs", "lattice.log"), Path.Combine("logs", "orchestrator.log") })
        {
            File.CreateSymbolicLink(Path.Combine(plan.DataFolder, file), "/dev/full");
        }

        var exitCode = await RunAsync(plan);

        Assert.Equal(1, exitCode);
        AssertStoppedByTheStartupRule();
    }

    [Fact]
    public async Task StopInOrderAsync_EveryKind_StopsTheGatewayThenTheOrchestratorThenTheServices()
    {
        // Ctrl+C, SIGTERM and SIGHUP all end in this stop; the children, in sessions of their own, get no signal but its.
        ComponentPlan[] components =
        [
            Component("gateway", ComponentKind.Gateway, replicas: 1),
            Component("orchestrator", ComponentKind.Orchestrator, replicas: 1),
            Component("sentiment", ComponentKind.Service, replicas: 2),
            Component("intent", ComponentKind.Service, replicas: 1),
        ];
        var plan = TestPlans.For(_root, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), components);
        var kinds = components.SelectMany(c => c.Replicas.Select(r => (r.DisplayName, c.Kind))).ToDictionary();
        var events = new List<(string Replica, string Phase)>();
        using var logs = new LogSink(Path.Combine(plan.DataFolder, "logs"), TextWriter.Null);
        using var hang = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        hang.CancelAfter(TimeSpan.FromSeconds(60));
        var children = new List<ScriptedReplica>();
        try
        {
            foreach (var replica in components.SelectMany(c => c.Replicas))
            {
                children.Add(new ScriptedReplica(plan, logs, replica, "exec sleep 600", TimeProvider.System, state =>
                {
                    lock (events)
                    {
                        events.Add((replica.DisplayName, state.Phase));
                    }
                }).Start());
            }

            var pids = new List<int>();
            foreach (var child in children)
            {
                pids.Add(await child.NextPidAsync(hang.Token));
            }

            await Supervisor.StopInOrderAsync(plan, [.. children.Select(c => c.Sut)], ScriptedReplica.Grace);

            List<(string Replica, string Phase)> seen;
            lock (events)
            {
                seen = [.. events];
            }

            // A kind is told to stop only once every replica of the kinds before it has exited.
            ComponentKind[] order = [ComponentKind.Gateway, ComponentKind.Orchestrator, ComponentKind.Service];
            Assert.Equal(children.Count, seen.Count(e => e.Phase == ReplicaPhase.Stopping));
            for (var i = 0; i < seen.Count; i++)
            {
                if (seen[i].Phase == ReplicaPhase.Stopping)
                {
                    var rank = Array.IndexOf(order, kinds[seen[i].Replica]);
                    var before = kinds.Where(k => Array.IndexOf(order, k.Value) < rank).Select(k => k.Key);
                    Assert.All(before, other => Assert.Contains((other, ReplicaPhase.Stopped), seen[..i]));
                }
            }

            Assert.All(children, c => Assert.Equal(ReplicaPhase.Stopped, c.Sut.State.Phase));
            Assert.All(children, c => Assert.Equal(143, c.Sut.State.LastExitCode));
            Assert.All(pids, pid => Assert.False(ScriptedReplica.IsAlive(pid)));
        }
        finally
        {
            foreach (var child in children)
            {
                await child.DisposeAsync();
            }
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>
    /// A plan of one orchestrator whose process exits at once, before ever becoming ready, with its data and logs folders
    /// created. The ready timeout is far longer than a test may take: only the startup rule ends the run in time.
    /// </summary>
    private PlatformPlan FailingAtStart()
    {
        var component = Component("orchestrator", ComponentKind.Orchestrator, replicas: 1);
        var assembly = component.AssemblyPath("Release");
        Directory.CreateDirectory(Path.GetDirectoryName(assembly)!);
        File.WriteAllText(assembly, string.Empty);
        var plan = TestPlans.For(_root, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(20), component);
        Directory.CreateDirectory(Path.Combine(plan.DataFolder, "logs"));
        return plan;
    }

    private async Task<int> RunAsync(PlatformPlan plan)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_output),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        // Only to catch a hang; RunAsync stops every child whatever happens.
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await new Supervisor(plan, console, TimeProvider.System).RunAsync(build: false, hang.Token);
    }

    private void AssertStoppedByTheStartupRule()
    {
        var output = _output.ToString();
        // The child may exit again between two polls, so the count is at least the limit.
        var failed = Regex.Match(output, @"orchestrator exited (\d+) times in a row before becoming ready");
        Assert.True(failed.Success, output);
        Assert.True(int.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture) >= Supervisor.StartupAttempts, output);
    }

    private ComponentPlan Component(string name, ComponentKind kind, int replicas) => new()
    {
        Name = name,
        Kind = kind,
        ProjectFolder = Path.Combine(_root, name),
        ProjectName = name,
        Replicas = [.. Enumerable.Range(0, replicas).Select(i => new ReplicaPlan(name, i, TestPorts.Free()))],
        Environment = new Dictionary<string, string>(),
    };
}
