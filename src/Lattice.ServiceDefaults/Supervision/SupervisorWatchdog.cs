using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lattice.ServiceDefaults.Supervision;

/// <summary>
/// When started by <c>lattice up</c> (<c>LATTICE_SUPERVISOR_PID</c> is set), stops this process if the
/// supervisor disappears, even if it was killed without a chance to stop its children: no orphans.
/// </summary>
internal sealed partial class SupervisorWatchdog(
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<SupervisorWatchdog> logger) : BackgroundService
{
    public const string SupervisorPidVariable = "LATTICE_SUPERVISOR_PID";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(SupervisorPidVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!IsAlive(pid))
            {
                LogSupervisorGone(logger, pid);
                lifetime.StopApplication();
                return;
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Supervisor process {Pid} is gone; stopping")]
    private static partial void LogSupervisorGone(ILogger logger, int pid);
}
