using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lattice.ServiceDefaults.Supervision;

/// <summary>
/// When started by <c>lattice up</c> (<c>LATTICE_SUPERVISOR_PID</c> is set), stops this process if the
/// supervisor disappears, even if it was killed without a chance to stop its children: no orphans.
/// The supervisor also passes its start time (<c>LATTICE_SUPERVISOR_START</c>, Unix milliseconds): a process that
/// has the supervisor's pid but started at another time took the pid over after the supervisor died, and counts as
/// gone. Both are read from configuration, where environment variables land.
/// </summary>
internal sealed partial class SupervisorWatchdog(
    IHostApplicationLifetime lifetime,
    IConfiguration configuration,
    TimeProvider timeProvider,
    ILogger<SupervisorWatchdog> logger) : BackgroundService
{
    public const string SupervisorPidVariable = "LATTICE_SUPERVISOR_PID";
    public const string SupervisorStartVariable = "LATTICE_SUPERVISOR_START";

    /// <summary>
    /// How far the start time read here may be from the one the supervisor passed: the runtime derives a process's
    /// start time from the boot time, which it reads anew each time, so two reads differ slightly.
    /// </summary>
    internal const long StartToleranceMilliseconds = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(configuration[SupervisorPidVariable], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

        long? started = long.TryParse(configuration[SupervisorStartVariable], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds)
            ? milliseconds
            : null;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!IsSupervisor(pid, started))
            {
                LogSupervisorGone(logger, pid);
                lifetime.StopApplication();
                return;
            }
        }
    }

    /// <summary>
    /// True while process <paramref name="pid"/> runs and, when <paramref name="startedUnixMilliseconds"/> is known,
    /// started then (within <see cref="StartToleranceMilliseconds"/>). A start time the system will not tell leaves
    /// the pid alone to decide.
    /// </summary>
    internal static bool IsSupervisor(int pid, long? startedUnixMilliseconds)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }

            return startedUnixMilliseconds is not { } expected
                || Math.Abs(StartedUnixMilliseconds(process) - expected) <= StartToleranceMilliseconds;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // it exited while we looked
        }
        catch (Win32Exception)
        {
            return true; // its start time is not ours to read
        }
    }

    /// <summary>When <paramref name="process"/> started, in Unix milliseconds: what <c>lattice up</c> passes for itself.</summary>
    internal static long StartedUnixMilliseconds(Process process) => new DateTimeOffset(process.StartTime).ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Supervisor process {Pid} is gone; stopping")]
    private static partial void LogSupervisorGone(ILogger logger, int pid);
}
