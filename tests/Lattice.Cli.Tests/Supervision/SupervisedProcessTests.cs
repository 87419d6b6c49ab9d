using System.Diagnostics;
using System.Globalization;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;
using Lattice.Cli.Tests.Support;

namespace Lattice.Cli.Tests.Supervision;

/// <summary>
/// Restarts and stops of one supervised process, with <c>sh</c> scripts as children and a manual clock: each backoff
/// delay is a timer the test reads and makes elapse, so nothing here waits on the wall clock.
/// </summary>
public sealed class SupervisedProcessTests : IDisposable
{
    private const string ExitsAtOnce = "exit 3";
    private const string RunsUntilStopped = "exec sleep 600";

    private readonly string _root = Directory.CreateTempSubdirectory("lattice-process-").FullName;
    private readonly ManualClock _clock = new();
    private readonly LogSink _logs;
    private readonly ReplicaPlan _replica = new("sentiment", 0, TestPorts.Free());

    // Only to catch a hang: a test here passes or fails on what happened, never on how long it took.
    private readonly CancellationTokenSource _hang = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public SupervisedProcessTests()
    {
        _logs = new LogSink(Path.Combine(_root, "data", "logs"), TextWriter.Null);
        _hang.CancelAfter(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task RunAsync_ProcessKeepsExiting_BackoffDoublesUpToMaxBackoff()
    {
        await using var child = Child(ExitsAtOnce, Restart(initial: 1, max: 8, resetAfter: 3600)).Start();

        var delays = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var timer = await _clock.NextTimerAsync(_hang.Token);
            delays.Add(timer.DueTime.TotalSeconds);
            if (i < 5)
            {
                _clock.Elapse(timer);
            }
        }

        Assert.Equal([1, 2, 4, 8, 8, 8], delays);
        Assert.Equal(5, child.Sut.State.Restarts);
        Assert.Equal(6, child.Starts);
        Assert.Equal(3, child.Sut.State.LastExitCode);
    }

    [Fact]
    public async Task RunAsync_ProcessStayedUpResetAfter_BackoffStartsOverFromInitialBackoff()
    {
        // The first two starts exit at once; from the third on the child stays up until killed.
        const string script = """echo started >> "$1"; [ "$(wc -l < "$1")" -gt 2 ] && exec sleep 600; exit 3""";
        await using var child = Child(script, Restart(initial: 1, max: 8, resetAfter: 60)).Start();
        _clock.Elapse(await _clock.NextTimerAsync(_hang.Token));
        var second = await _clock.NextTimerAsync(_hang.Token);
        child.ForgetChanges();

        // Up for less than resetAfter: the backoff goes on growing.
        _clock.Elapse(second);
        await KillAfterAsync(child, TimeSpan.FromSeconds(59));
        var afterShortRun = await _clock.NextTimerAsync(_hang.Token);
        child.ForgetChanges();

        // Up for resetAfter: it starts over.
        _clock.Elapse(afterShortRun);
        await KillAfterAsync(child, TimeSpan.FromSeconds(60));
        var afterLongRun = await _clock.NextTimerAsync(_hang.Token);

        Assert.Equal(TimeSpan.FromSeconds(2), second.DueTime);
        Assert.Equal(TimeSpan.FromSeconds(4), afterShortRun.DueTime);
        Assert.Equal(TimeSpan.FromSeconds(1), afterLongRun.DueTime);
    }

    [Fact]
    public async Task StopAsync_DuringBackoff_RunAsyncReturnsWithoutStartingAgain()
    {
        await using var child = Child(ExitsAtOnce, Restart(initial: 60, max: 60, resetAfter: 3600)).Start();
        await _clock.NextTimerAsync(_hang.Token);

        // Only StopAsync: the supervisor's token is not cancelled, and the backoff timer never fires.
        await child.Sut.StopAsync(ScriptedReplica.Grace);
        await child.Run.WaitAsync(_hang.Token);

        Assert.Equal(1, child.Starts);
        Assert.Equal(ReplicaPhase.Stopped, child.Sut.State.Phase);
        Assert.Equal(0, child.Sut.State.Restarts);
    }

    [Fact]
    public async Task StopAsync_BetweenTheExitAndTheRestart_DoesNotRestartAndStateStaysStopped()
    {
        Task? stop = null;
        ScriptedReplica? child = null;
        // The stop arrives when the exit has been seen and the restart is next: the state change says so.
        child = Child(ExitsAtOnce, Restart(initial: 60, max: 60, resetAfter: 3600), state =>
        {
            if (state.Phase == ReplicaPhase.Restarting && stop is null)
            {
                stop = child!.Sut.StopAsync(ScriptedReplica.Grace);
            }
        });
        await using (child.Start())
        {
            await child.Run.WaitAsync(_hang.Token);
            Assert.NotNull(stop);
            await stop.WaitAsync(_hang.Token);

            Assert.Equal(1, child.Starts);
            Assert.Equal(ReplicaPhase.Stopped, child.Sut.State.Phase);
            Assert.Equal(3, child.Sut.State.LastExitCode);
        }
    }

    [Fact]
    public async Task StopAsync_WhileTheProcessIsExiting_DoesNotRestartAndLeavesNoProcess()
    {
        await using var child = Child(RunsUntilStopped, Restart(initial: 1, max: 1, resetAfter: 3600)).Start();
        var pid = await child.NextPidAsync(_hang.Token);

        // Whichever sees the exit first, RunAsync or StopAsync, the outcome is the same.
        Kill(pid);
        await child.Sut.StopAsync(ScriptedReplica.Grace);
        await child.Run.WaitAsync(_hang.Token);

        Assert.Equal(1, child.Starts);
        Assert.Equal(ReplicaPhase.Stopped, child.Sut.State.Phase);
        Assert.Null(child.Sut.State.Pid);
        Assert.False(ScriptedReplica.IsAlive(pid));
    }

    [Fact]
    public async Task StopAsync_WhileRunning_EndsTheProcessWithSigtermAndRunAsyncReturns()
    {
        await using var child = Child(RunsUntilStopped, Restart(initial: 1, max: 1, resetAfter: 3600)).Start();
        var pid = await child.NextPidAsync(_hang.Token);

        await child.Sut.StopAsync(ScriptedReplica.Grace);
        await child.Run.WaitAsync(_hang.Token);

        Assert.False(ScriptedReplica.IsAlive(pid));
        Assert.Equal(ReplicaPhase.Stopped, child.Sut.State.Phase);
        // 128 + SIGTERM: it ended on the polite signal, not on a kill after the grace period.
        Assert.Equal(143, child.Sut.State.LastExitCode);
        Assert.Equal(1, child.Starts);
    }

    [Theory]
    [InlineData(ReplicaPhase.Starting)]
    [InlineData(ReplicaPhase.Restarting)]
    public async Task RunAsync_StateReportThrows_TheProcessIsStillRestarted(string phase)
    {
        // The report is the supervisor's state.json write: a full disk or a removed data folder makes it throw. Here
        // it throws once, when the phase is first reported.
        var thrown = 0;
        await using var child = Child(ExitsAtOnce, Restart(initial: 1, max: 8, resetAfter: 3600), state =>
        {
            if (state.Phase == phase && Interlocked.Exchange(ref thrown, 1) == 0)
            {
                throw new IOException("No space left on device : 'data/state.json.tmp'");
            }
        }).Start();

        // Supervision goes on: the backoff delay comes, then a second start and the delay after it.
        var backoff = _clock.NextTimerAsync(_hang.Token).AsTask();
        var first = await Task.WhenAny(backoff, child.Run);
        Assert.True(first == backoff, $"RunAsync ended ({child.Run.Exception?.InnerException?.Message}): the replica is never restarted");
        _clock.Elapse(await backoff);
        await _clock.NextTimerAsync(_hang.Token);

        Assert.Equal(2, child.Starts);
        Assert.Equal(1, child.Sut.State.Restarts);
        Assert.Equal(ReplicaPhase.Restarting, child.Sut.State.Phase);
        Assert.Contains($"{_replica.DisplayName}: reporting its state failed (IOException: No space left on device", File.ReadAllText(_logs.SupervisorFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_StateReportThrows_StillEndsTheProcessWithSigterm()
    {
        var child = Child(RunsUntilStopped, Restart(initial: 1, max: 1, resetAfter: 3600), state =>
        {
            if (state.Phase is ReplicaPhase.Stopping or ReplicaPhase.Stopped)
            {
                throw new IOException("No space left on device : 'data/state.json.tmp'");
            }
        }).Start();
        var pid = await child.NextPidAsync(_hang.Token);
        try
        {
            // StopInOrderAsync awaits this for each kind in turn: a throw would also skip the stop of every later kind.
            var error = await Record.ExceptionAsync(() => child.Sut.StopAsync(ScriptedReplica.Grace));

            Assert.Null(error);
            Assert.False(ScriptedReplica.IsAlive(pid), $"pid {pid} still runs after StopAsync: it was never sent SIGTERM");
            Assert.Equal(ReplicaPhase.Stopped, child.Sut.State.Phase);
            Assert.Equal(143, child.Sut.State.LastExitCode);
        }
        finally
        {
            // Not DisposeAsync: it stops through the same StopAsync, which may be what failed to send the signal.
            if (ScriptedReplica.IsAlive(pid))
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync(_hang.Token);
            }

            // StopAsync cancels RunAsync before it reports anything, so this ends whatever the report did.
            await child.Run.WaitAsync(_hang.Token);
        }
    }

    [Fact]
    public async Task MarkReady_StateReportThrows_TheReplicaIsReady()
    {
        await using var child = Child(RunsUntilStopped, Restart(initial: 1, max: 1, resetAfter: 3600), state =>
        {
            if (state.Phase == ReplicaPhase.Ready)
            {
                throw new IOException("No space left on device : 'data/state.json.tmp'");
            }
        }).Start();
        await child.NextPidAsync(_hang.Token);

        // The supervisor's readiness monitor calls this: a throw would end the monitor, and no replica would be seen ready again.
        var error = Record.Exception(child.Sut.MarkReady);

        Assert.Null(error);
        Assert.Equal(ReplicaPhase.Ready, child.Sut.State.Phase);
    }

    [Fact]
    public async Task RunAsync_AfterStopAsync_StartsNothing()
    {
        await using var child = Child(RunsUntilStopped, Restart(initial: 1, max: 1, resetAfter: 3600));
        await child.Sut.StopAsync(ScriptedReplica.Grace);

        await child.Start().Run.WaitAsync(_hang.Token);

        Assert.Equal(0, child.Starts);
        Assert.Equal(ReplicaPhase.Stopped, child.Sut.State.Phase);
    }

    [Fact]
    public async Task RunAsync_Always_StartsTheChildInASessionAndProcessGroupOfItsOwn()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Reads /proc.");
        // The script reports its pid, process group and session (fields 5 and 6 of its stat; "(sh)" has no space).
        const string script = """echo "$$ $(cut -d ' ' -f 5,6 /proc/$$/stat)"; exit 3""";
        await using var child = Child(script, Restart(initial: 60, max: 60, resetAfter: 3600)).Start();

        // The backoff timer: the script has exited and all its output is in the log.
        await _clock.NextTimerAsync(_hang.Token);
        var reported = File.ReadAllLines(_logs.FileOf(_replica)).Single().Split(' ').Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToList();

        // A terminal's Ctrl+C goes to its foreground process group, which is lattice's (here the test host's): the
        // child leads a group and a session of its own, so only lattice's ordered stop reaches it.
        var (pid, group, session) = (reported[0], reported[1], reported[2]);
        Assert.Equal(pid, group);
        Assert.Equal(pid, session);
        Assert.NotEqual(OwnProcessGroup(), group);
    }

    public void Dispose()
    {
        _hang.Dispose();
        _logs.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private ScriptedReplica Child(string script, PlatformPlan plan, Action<ReplicaState>? onChange = null) =>
        new(plan, _logs, _replica, script, _clock, onChange);

    private PlatformPlan Restart(int initial, int max, int resetAfter) =>
        TestPlans.Restarting(_root, TimeSpan.FromSeconds(initial), TimeSpan.FromSeconds(max), TimeSpan.FromSeconds(resetAfter));

    /// <summary>Lets the running child stay up for <paramref name="upFor"/> on the manual clock, then kills it.</summary>
    private async Task KillAfterAsync(ScriptedReplica child, TimeSpan upFor)
    {
        var pid = await child.NextPidAsync(_hang.Token);
        _clock.Advance(upFor);
        Kill(pid);
    }

    private static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
    }

    /// <summary>Field 5 of /proc/self/stat, read after the command name (which may hold spaces).</summary>
    private static int OwnProcessGroup()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2], CultureInfo.InvariantCulture);
    }
}
