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
/// The supervisor also passes its start time (<c>LATTICE_SUPERVISOR_START</c>, see <see cref="StartStamp"/>): a process that
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
    /// How far the start stamp read here may be from the one the supervisor passed: none on Linux, where both are the
    /// same number read from the kernel; a second elsewhere, where they are times converted from the system's record.
    /// </summary>
    internal static long StartTolerance { get; } = OperatingSystem.IsLinux() ? 0 : 1000;

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
    /// True while process <paramref name="pid"/> runs and, when <paramref name="startStamp"/> is known, started then
    /// (<see cref="StartStamp"/>, within <see cref="StartTolerance"/>). A start time the system will not tell leaves
    /// the pid alone to decide.
    /// </summary>
    internal static bool IsSupervisor(int pid, long? startStamp)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }

            return startStamp is not { } expected || Math.Abs(StartStamp(process) - expected) <= StartTolerance;
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

    /// <summary>
    /// When <paramref name="process"/> started, as a number a step of the wall clock does not move: what <c>lattice up</c>
    /// passes for itself. On Linux, its start in clock ticks since boot (<c>/proc/&lt;pid&gt;/stat</c>, field 22): .NET's
    /// <see cref="Process.StartTime"/> there adds those ticks to a boot time derived from the current wall clock, so
    /// after the clock is stepped (NTP, a resumed VM) every process would read another start time for the supervisor
    /// than the one it passed, and stop. Elsewhere, Unix milliseconds of the start time the system recorded.
    /// </summary>
    internal static long StartStamp(Process process)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new DateTimeOffset(process.StartTime).ToUnixTimeMilliseconds();
        }

        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{process.Id}/stat");
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Process {process.Id} has exited.", e);
        }

        // Field 2, the command, is in parentheses and may hold spaces and ')': the fields after it follow the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[22 - 3], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Supervisor process {Pid} is gone; stopping")]
    private static partial void LogSupervisorGone(ILogger logger, int pid);
}
