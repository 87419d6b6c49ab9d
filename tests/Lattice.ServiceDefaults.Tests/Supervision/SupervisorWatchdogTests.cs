using System.Diagnostics;
using System.Globalization;
using Lattice.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lattice.ServiceDefaults.Tests.Supervision;

/// <summary>
/// A process started by <c>lattice up</c> stops itself when its supervisor is gone, also when another process has
/// taken the supervisor's pid over: the pid and the start time together name the supervisor.
/// </summary>
public sealed class SupervisorWatchdogTests
{
    private static long OwnStart()
    {
        using var self = Process.GetCurrentProcess();
        return SupervisorIdentity.StartStamp(self);
    }

    [Fact]
    public void IsSupervisor_SamePidAndStartTime_IsTheSupervisor()
    {
        Assert.True(SupervisorIdentity.IsRunning(Environment.ProcessId, OwnStart()));
    }

    [Fact]
    public void IsSupervisor_SamePidButAnotherStartTime_IsAProcessThatTookThePidOver()
    {
        Assert.False(SupervisorIdentity.IsRunning(Environment.ProcessId, OwnStart() - 60_000));
        Assert.False(SupervisorIdentity.IsRunning(Environment.ProcessId, OwnStart() + 60_000));
    }

    [Fact]
    public void StartStamp_OnLinux_IsTheKernelsBootRelativeStartNotAWallClockTime()
    {
        // Process.StartTime on Linux is recomputed from the current wall clock: a clock step after lattice started made
        // every child read another start time than the one lattice passed, and stop (again after each restart).
        Assert.SkipUnless(OperatingSystem.IsLinux(), "/proc is Linux's");
        var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");
        var startTicks = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);

        Assert.Equal(startTicks, OwnStart());
    }

    [Fact]
    public void IsSupervisor_WithoutAStartTime_ThePidAloneDecides()
    {
        Assert.True(SupervisorIdentity.IsRunning(Environment.ProcessId, null));
    }

    [Fact]
    public async Task IsSupervisor_AProcessThatExited_IsGone()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await exited.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.False(SupervisorIdentity.IsRunning(exited.Id, null));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Watchdog_StopsTheApp_WhenThePidIsNotTheSupervisorsAnyMore(bool otherStartTime)
    {
        // This test process stands in for a process that took over the supervisor's pid (wrong start time), or a pid
        // that is free again (a process that has exited).
        int pid;
        if (otherStartTime)
        {
            pid = Environment.ProcessId;
        }
        else
        {
            using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            await exited.WaitForExitAsync(TestContext.Current.CancellationToken);
            pid = exited.Id;
        }

        await using var app = await TestApps.StartAsync(_ => { }, settings: new Dictionary<string, string?>
        {
            [SupervisorIdentity.PidVariable] = pid.ToString(CultureInfo.InvariantCulture),
            [SupervisorIdentity.StartVariable] = (OwnStart() - 3_600_000).ToString(CultureInfo.InvariantCulture),
        });
        var stopping = new TaskCompletionSource();
        using var registration = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());

        // The watchdog looks once a second; ten seconds is a bound on a busy machine, not a timing claim.
        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
