using System.Diagnostics;
using Lattice.Cli.Platform;

namespace Lattice.Cli.Supervision;

/// <summary>
/// One replica's process, kept running: it is started, and whenever it exits (and we are not stopping)
/// restarted after an exponential backoff that resets once the process has stayed up for a while.
/// Its stdout/stderr lines go to the log sink. The process runs in a session of its own (<see cref="ChildSession"/>),
/// so only lattice stops it. Once <see cref="StopAsync"/> is called nothing is started again.
/// Every state change is reported through <c>stateChanged</c> (which writes state.json); a report that fails is logged
/// and changes nothing here: the process is restarted and stopped all the same.
/// </summary>
internal sealed class SupervisedProcess(
    ReplicaPlan replica,
    ProcessStartInfo startInfo,
    PlatformPlan plan,
    LogSink logs,
    TimeProvider timeProvider,
    Action stateChanged)
{
    private readonly ProcessStartInfo _startInfo = ChildSession.Detach(startInfo);
    private readonly Lock _lock = new();

    // Cancelled by StopAsync: ends a backoff delay or a wait at once, so RunAsync returns without another start.
    private readonly CancellationTokenSource _stop = new();
    private Process? _process;
    private string _phase = ReplicaPhase.Starting;
    private int _restarts;
    private int _failedStarts;
    private DateTimeOffset? _startedAt;
    private int? _lastExitCode;
    private bool _stopRequested;

    public ReplicaPlan Replica => replica;

    /// <summary>How many times in a row the process exited (or could not start) without becoming ready first.</summary>
    public int FailedStarts
    {
        get
        {
            lock (_lock)
            {
                return _failedStarts;
            }
        }
    }

    public ReplicaState State
    {
        get
        {
            lock (_lock)
            {
                return new ReplicaState(replica.Component, replica.Index, replica.Port, _process is { HasExited: false } p ? p.Id : null,
                    _phase, _restarts, _startedAt, _lastExitCode);
            }
        }
    }

    /// <summary>Set when the replica answered /health/ready; reset when the process exits.</summary>
    public void MarkReady()
    {
        lock (_lock)
        {
            if (_phase == ReplicaPhase.Starting)
            {
                _phase = ReplicaPhase.Ready;
                _failedStarts = 0;
            }
        }

        Notify();
    }

    /// <summary>
    /// Runs until <paramref name="stopping"/> fires or <see cref="StopAsync"/> is called, restarting the process
    /// whenever it exits. A process still running when this returns is left to <see cref="StopAsync"/>.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var running = CancellationTokenSource.CreateLinkedTokenSource(stopping, _stop.Token);
        var cancellation = running.Token;
        var backoff = plan.InitialBackoff;
        while (!cancellation.IsCancellationRequested)
        {
            var started = timeProvider.GetTimestamp();
            Process? process;
            try
            {
                process = Start();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Win32Exception (exec failed) and InvalidOperationException are the documented ones; anything else (an
                // IOException when the system is out of file descriptors for the pipes) must not end supervision either.
                logs.Supervisor($"{replica.DisplayName}: could not start: {e.Message}");
                lock (_lock)
                {
                    _failedStarts++;
                }

                SetPhase(ReplicaPhase.Exited, null);
                await DelayAsync(backoff, cancellation);
                backoff = Next(backoff);
                continue;
            }

            if (process is null)
            {
                // A stop came first: nothing was started.
                break;
            }

            try
            {
                await process.WaitForExitAsync(cancellation);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            lock (_lock)
            {
                if (_stopRequested)
                {
                    // StopAsync owns the process from here: it waits for the exit and disposes it.
                    break;
                }

                _process = null;
                _failedStarts = _phase == ReplicaPhase.Ready ? 0 : _failedStarts + 1;
            }

            var exitCode = process.ExitCode;
            var pid = process.Id;
            process.Dispose();
            var upFor = timeProvider.GetElapsedTime(started);
            if (upFor >= plan.ResetAfter)
            {
                backoff = plan.InitialBackoff;
            }

            SetPhase(ReplicaPhase.Restarting, exitCode);
            logs.Supervisor($"{replica.DisplayName} (pid {pid}) exited with code {exitCode} after {upFor.TotalSeconds:0.0}s; restarting in {backoff.TotalMilliseconds:0} ms");
            await DelayAsync(backoff, cancellation);
            if (cancellation.IsCancellationRequested)
            {
                break;
            }

            lock (_lock)
            {
                _restarts++;
            }

            backoff = Next(backoff);
        }
    }

    /// <summary>SIGTERM, then SIGKILL of the whole tree if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Process? process;
        lock (_lock)
        {
            process = _process;
            _process = null;
            _stopRequested = true;
            _phase = ReplicaPhase.Stopping;
        }

        await _stop.CancelAsync();
        Notify();
        if (process is null)
        {
            SetPhase(ReplicaPhase.Stopped, null);
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                ProcessSignals.Terminate(process.Id);
                using var timeout = new CancellationTokenSource(grace, timeProvider);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    logs.Supervisor($"{replica.DisplayName} did not stop within {grace.TotalSeconds:0}s; killing it");
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }

            SetPhase(ReplicaPhase.Stopped, process.ExitCode);
        }
        catch (InvalidOperationException)
        {
            // The process was never started or is already gone.
            SetPhase(ReplicaPhase.Stopped, null);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Starts the process; null when a stop was requested first.</summary>
    private Process? Start()
    {
        var process = new Process { StartInfo = _startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                logs.Child(replica, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                logs.ChildError(replica, e.Data);
            }
        };
        try
        {
            lock (_lock)
            {
                // Started under the lock: a stop either comes first, and nothing starts, or finds this process
                // in _process and stops it. Never a process that starts after the stop and outlives it.
                if (_stopRequested)
                {
                    process.Dispose();
                    return null;
                }

                if (!process.Start())
                {
                    throw new InvalidOperationException("the process did not start");
                }

                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                _process = process;
                _phase = ReplicaPhase.Starting;
                _startedAt = timeProvider.GetUtcNow();
            }
        }
        catch
        {
            process.Dispose();
            throw;
        }

        Notify();
        return process;
    }

    private void SetPhase(string phase, int? exitCode)
    {
        lock (_lock)
        {
            // Once a stop is requested the phase is the stop's: an exit or a restart seen meanwhile does not undo it.
            if (_stopRequested && phase != ReplicaPhase.Stopped)
            {
                return;
            }

            _phase = phase;
            _lastExitCode = exitCode ?? _lastExitCode;
        }

        Notify();
    }

    /// <summary>
    /// Reports a state change. It runs inside the restart loop and before a stop's SIGTERM, so whatever the callback
    /// throws is logged here and goes no further: a failed report must not end supervision or skip a stop.
    /// </summary>
    private void Notify()
    {
        try
        {
            stateChanged();
        }
        catch (Exception e)
        {
            logs.Supervisor($"{replica.DisplayName}: reporting its state failed ({e.GetType().Name}: {e.Message})");
        }
    }

    private TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, plan.MaxBackoff.Ticks));

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, timeProvider, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
