using System.Diagnostics;
using System.Threading.Channels;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;

namespace Lattice.Cli.Tests.Support;

/// <summary>
/// A <see cref="SupervisedProcess"/> whose child is a <c>sh</c> script (its <c>$1</c> is <see cref="Marker"/>, a file
/// path the script may use), with every state it reports recorded. Disposing stops the child and waits
/// for <see cref="Run"/>, whatever the test did: no process outlives a test.
/// </summary>
internal sealed class ScriptedReplica : IAsyncDisposable
{
    /// <summary>Long enough for any child here to end on SIGTERM: the grace period never has to elapse.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private readonly Channel<ReplicaState> _changes = Channel.CreateUnbounded<ReplicaState>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Action<ReplicaState>? _onChange;
    private Task _run = Task.CompletedTask;
    private int _starts;

    public ScriptedReplica(PlatformPlan plan, LogSink logs, ReplicaPlan replica, string script, TimeProvider timeProvider, Action<ReplicaState>? onChange = null)
    {
        _onChange = onChange;
        Marker = Path.Combine(plan.DataFolder, replica.DisplayName.Replace('#', '-') + ".marker");
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", script, "sh", Marker })
        {
            info.ArgumentList.Add(argument);
        }

        Sut = new SupervisedProcess(replica, info, plan, logs, timeProvider, OnStateChanged);
    }

    public SupervisedProcess Sut { get; }

    public string Marker { get; }

    public Task Run => _run;

    /// <summary>How many times a process was started (each start reports the starting phase once).</summary>
    public int Starts => Volatile.Read(ref _starts);

    /// <summary>Starts RunAsync; <see cref="Run"/> ends when it returns.</summary>
    public ScriptedReplica Start()
    {
        _run = Sut.RunAsync(_stopping.Token);
        return this;
    }

    /// <summary>Forgets the states reported so far.</summary>
    public void ForgetChanges()
    {
        while (_changes.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>The pid of the next running process reported from now on.</summary>
    public async Task<int> NextPidAsync(CancellationToken cancellationToken)
    {
        await foreach (var state in _changes.Reader.ReadAllAsync(cancellationToken))
        {
            if (state is { Phase: ReplicaPhase.Starting, Pid: { } pid })
            {
                return pid;
            }
        }

        throw new InvalidOperationException("no more states");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Sut.StopAsync(Grace);
        }
        finally
        {
            await _stopping.CancelAsync();
            await _run;
            _stopping.Dispose();
        }
    }

    /// <summary>True while a process with this pid exists (Linux's /proc); a child lattice waited for is reaped, so gone.</summary>
    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    private void OnStateChanged()
    {
        var state = Sut.State;
        if (state.Phase == ReplicaPhase.Starting)
        {
            Interlocked.Increment(ref _starts);
        }

        _changes.Writer.TryWrite(state);
        _onChange?.Invoke(state);
    }
}
