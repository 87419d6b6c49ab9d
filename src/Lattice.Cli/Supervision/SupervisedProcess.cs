using System.Diagnostics;
using Lattice.Cli.Platform;

namespace Lattice.Cli.Supervision;

/// <summary>
/// One replica's process, kept running: it is started, and whenever it exits (and we are not stopping)
/// restarted after an exponential backoff that resets once the process has stayed up for a while.
/// Its stdout/stderr lines go to the log sink.
/// </summary>
internal sealed class SupervisedProcess(
    ReplicaPlan replica,
    ProcessStartInfo startInfo,
    PlatformPlan plan,
    LogSink logs,
    TimeProvider timeProvider,
    Action stateChanged)
{
    private readonly Lock _lock = new();
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

        stateChanged();
    }

    /// <summary>Runs until <paramref name="stopping"/> fires, restarting the process whenever it exits.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var backoff = plan.InitialBackoff;
        while (!stopping.IsCancellationRequested)
        {
            lock (_lock)
            {
                if (_stopRequested)
                {
                    break;
                }
            }

            var started = timeProvider.GetTimestamp();
            Process process;
            try
            {
                process = Start();
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                logs.Supervisor($"{replica.DisplayName}: could not start: {e.Message}");
                lock (_lock)
                {
                    _failedStarts++;
                }

                SetPhase(ReplicaPhase.Exited, null);
                await DelayAsync(backoff, stopping);
                backoff = Next(backoff);
                continue;
            }

            try
            {
                await process.WaitForExitAsync(stopping);
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
            await DelayAsync(backoff, stopping);
            if (stopping.IsCancellationRequested)
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
                using var timeout = new CancellationTokenSource(grace);
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

    private Process Start()
    {
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
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
                logs.Child(replica, e.Data);
            }
        };
        if (!process.Start())
        {
            throw new InvalidOperationException("the process did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_lock)
        {
            if (_stopRequested)
            {
                // Stop arrived while this one was starting: it must not outlive the supervisor.
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw new InvalidOperationException("stopping");
            }

            _process = process;
            _phase = ReplicaPhase.Starting;
            _startedAt = timeProvider.GetUtcNow();
        }

        stateChanged();
        return process;
    }

    private void SetPhase(string phase, int? exitCode)
    {
        lock (_lock)
        {
            _phase = phase;
            _lastExitCode = exitCode ?? _lastExitCode;
        }

        stateChanged();
    }

    private TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, plan.MaxBackoff.Ticks));

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
