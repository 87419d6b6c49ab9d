using System.Globalization;
using Lattice.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lattice.ServiceDefaults.Supervision;

/// <summary>
/// When started by <c>lattice up</c> (<c>LATTICE_SUPERVISOR_PID</c> is set), stops this process if the
/// supervisor disappears, even if it was killed without a chance to stop its children: no orphans.
/// The supervisor also passes its start stamp (<c>LATTICE_SUPERVISOR_START</c>, see <see cref="SupervisorIdentity"/>):
/// a process that has the supervisor's pid but started at another time took the pid over after the supervisor died,
/// and counts as gone. Both are read from configuration, where environment variables land.
/// </summary>
internal sealed partial class SupervisorWatchdog(
    IHostApplicationLifetime lifetime,
    IConfiguration configuration,
    TimeProvider timeProvider,
    ILogger<SupervisorWatchdog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(configuration[SupervisorIdentity.PidVariable], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

        long? started = long.TryParse(configuration[SupervisorIdentity.StartVariable], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var stamp)
            ? stamp
            : null;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!SupervisorIdentity.IsRunning(pid, started))
            {
                LogSupervisorGone(logger, pid);
                lifetime.StopApplication();
                return;
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Supervisor process {Pid} is gone; stopping")]
    private static partial void LogSupervisorGone(ILogger logger, int pid);
}
