using System.Net.NetworkInformation;
using Lattice.Cli.Platform;
using Lattice.Shared;
using Spectre.Console;

namespace Lattice.Cli.Supervision;

/// <summary>
/// <c>lattice up</c>: builds what is stale, starts every replica of every component as its own OS process,
/// waits for each /health/ready with a live display, then keeps them running (restarting with backoff)
/// until cancelled, and finally stops every child in order: SIGTERM, then SIGKILL after a grace period. Each child
/// runs in a session of its own, so a Ctrl+C at the terminal reaches only lattice, which stops them in that order.
/// </summary>
internal sealed class Supervisor(PlatformPlan plan, IAnsiConsole console, TimeProvider timeProvider)
{
    /// <summary>How long a child gets to stop cleanly before it is killed.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public const string StateFileName = "state.json";

    /// <summary>
    /// A replica that exits this many times in a row before it ever became ready stops the startup: it is failing
    /// at start (bad configuration, an invalid pipeline file), and restarting it until the ready timeout only hides that.
    /// </summary>
    public const int StartupAttempts = 3;

    private readonly List<SupervisedProcess> _processes = [];
    private readonly Lock _stateLock = new();

    public async Task<int> RunAsync(bool build, CancellationToken stopping)
    {
        var folder = OpenDataFolder();
        using var folderLock = folder.Lock;
        using var logs = folder.Logs;
        if (logs is null)
        {
            return folder.ExitCode; // said why
        }

        var adminKey = folder.AdminKey;
        var state = new StateFile(Path.Combine(plan.DataFolder, StateFileName), logs);

        if (BusyPorts() is { Count: > 0 } busy)
        {
            console.MarkupLineInterpolated($"[red]Port(s) {string.Join(", ", busy)} already in use[/] (is lattice already running? `lattice status` tells).");
            return 1;
        }

        if (!await BuildAsync(build, stopping))
        {
            return 1;
        }

        foreach (var component in plan.Components)
        {
            foreach (var replica in component.Replicas)
            {
                var info = PlatformEnvironment.StartInfo(plan, component, replica, adminKey);
                _processes.Add(new SupervisedProcess(replica, info, plan, logs, timeProvider, () => WriteState(state)));
            }
        }

        if (ChildSession.SetsidPath is null && !OperatingSystem.IsWindows())
        {
            logs.Supervisor("setsid not found: the processes share this terminal's process group, so Ctrl+C stops them all at once, not in order");
        }

        using var supervising = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var runs = _processes.Select(p => p.RunAsync(supervising.Token)).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var monitor = MonitorReadinessAsync(http, supervising.Token);
        var (ready, failing, failedStarts) = await WaitUntilReadyAsync(stopping);
        logs.Live = true;
        if (ready)
        {
            PrintWelcome(adminKey);
        }
        else if (failing is not null)
        {
            PrintStartupFailed(failing, failedStarts, logs);
        }
        else if (!stopping.IsCancellationRequested)
        {
            PrintNotReady(logs);
        }

        if (ready)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, stopping);
            }
            catch (OperationCanceledException)
            {
            }
        }

        logs.Supervisor("stopping every process");
        await StopInOrderAsync(plan, _processes, StopGrace);
        await supervising.CancelAsync();
        await Task.WhenAll(runs);
        await monitor;
        WriteState(state);
        logs.Supervisor("stopped");
        return ready ? 0 : 1;
    }

    /// <summary>
    /// Stops every process, whatever stopped lattice (Ctrl+C, SIGTERM, SIGHUP, a failed startup): the door closes
    /// first, then the orchestrator, then the services it calls; each kind once the previous one has exited.
    /// </summary>
    internal static async Task StopInOrderAsync(PlatformPlan plan, IReadOnlyCollection<SupervisedProcess> processes, TimeSpan grace)
    {
        foreach (var kind in new[] { ComponentKind.Gateway, ComponentKind.Orchestrator, ComponentKind.Service })
        {
            await Task.WhenAll(processes.Where(p => plan.Components.First(c => c.Name == p.Replica.Component).Kind == kind).Select(p => p.StopAsync(grace)));
        }
    }

    private async Task<bool> BuildAsync(bool build, CancellationToken stopping)
    {
        var stale = plan.Components.Where(c => ProjectBuilder.IsStale(plan, c)).ToList();
        if (stale.Count == 0)
        {
            return true;
        }

        if (!build)
        {
            console.MarkupLineInterpolated($"[red]Not built:[/] {string.Join(", ", stale.Select(c => c.ProjectName))} (drop --no-build, or run dotnet build).");
            return false;
        }

        var (ok, output) = (false, string.Empty);
        try
        {
            await console.Status().StartAsync($"Building {string.Join(", ", stale.Select(c => c.Name))} ({plan.Configuration})...", async _ =>
            {
                (ok, output) = await ProjectBuilder.BuildAsync(plan, stale, stopping);
            });
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Build cancelled:[/] dotnet build and the processes it started were stopped.");
            return false;
        }
        if (!ok)
        {
            console.WriteLine(output);
        }

        return ok;
    }

    private List<int> BusyPorts()
    {
        var listening = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Select(e => e.Port).ToHashSet();
        return [.. plan.Components.SelectMany(c => c.Replicas).Select(r => r.Port).Where(listening.Contains)];
    }

    private async Task MonitorReadinessAsync(HttpClient http, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            foreach (var process in _processes.Where(p => p.State.Phase == ReplicaPhase.Starting && p.State.Pid is not null))
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(process.Replica.Url, "health/ready"), stopping);
                    if (response.IsSuccessStatusCode)
                    {
                        process.MarkReady();
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stopping);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Waits until every replica is ready (true), one keeps failing at start (returned), or time is up.</summary>
    private async Task<(bool Ready, SupervisedProcess? Failing, int FailedStarts)> WaitUntilReadyAsync(CancellationToken stopping)
    {
        var started = timeProvider.GetTimestamp();
        var allReady = false;
        SupervisedProcess? failing = null;
        var failedStarts = 0;
        async Task PollAsync(Action update)
        {
            while (!stopping.IsCancellationRequested && timeProvider.GetElapsedTime(started) < plan.ReadyTimeout)
            {
                allReady = _processes.All(p => p.State.Phase == ReplicaPhase.Ready);
                // The count as seen here: the process keeps restarting until everything is stopped.
                (failing, failedStarts) = _processes.Select(p => (p, p.FailedStarts)).FirstOrDefault(f => f.FailedStarts >= StartupAttempts);
                update();
                if (allReady || failing is not null)
                {
                    return;
                }

                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stopping);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        if (console.Profile.Capabilities.Interactive)
        {
            await console.Live(StatusTable()).StartAsync(context => PollAsync(() => context.UpdateTarget(StatusTable())));
            return (allReady, failing, failedStarts);
        }

        // Not a terminal (CI, a pipe): one line per replica as it becomes ready.
        var reported = new HashSet<string>(StringComparer.Ordinal);
        await PollAsync(() =>
        {
            foreach (var process in _processes.Where(p => p.State.Phase == ReplicaPhase.Ready && reported.Add(p.Replica.DisplayName)))
            {
                console.WriteLine($"ready: {process.Replica.DisplayName} on port {process.Replica.Port} (pid {process.State.Pid}) after {timeProvider.GetElapsedTime(started).TotalSeconds:0.0}s");
            }
        });
        return (allReady, failing, failedStarts);
    }

    private Table StatusTable()
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("process", "port", "pid", "state", "restarts");
        foreach (var process in _processes)
        {
            var state = process.State;
            var phase = state.Phase switch
            {
                ReplicaPhase.Ready => "[green]ready[/]",
                ReplicaPhase.Starting => "[yellow]starting[/]",
                _ => $"[red]{state.Phase}[/]",
            };
            table.AddRow(process.Replica.DisplayName, state.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                state.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", phase,
                state.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return table;
    }

    /// <summary>
    /// The data folder, locked for this run, its logs and the admin key. Exit code 1 (having said why) when another
    /// lattice up holds the folder, 2 when it cannot be made or written, such as a dataFolder that names a file, or one
    /// under /proc or without write permission.
    /// </summary>
    private DataFolder OpenDataFolder()
    {
        DataFolderLock? folderLock = null;
        LogSink? logs = null;
        try
        {
            Directory.CreateDirectory(plan.DataFolder);
            folderLock = DataFolderLock.TryAcquire(plan.DataFolder);
            if (folderLock is null)
            {
                console.MarkupLineInterpolated($"[red]The data folder {plan.DataFolder} is in use by another lattice up[/] (its pid is in {DataFolderLock.FileName}; `lattice status` tells). Stop it, or give this one another dataFolder.");
                return new DataFolder(null, null, string.Empty, 1);
            }

            logs = new LogSink(Path.Combine(plan.DataFolder, "logs"), Console.Out, plan.LogRotation, timeProvider);
            return new DataFolder(folderLock, logs, AdminKey.LoadOrCreate(plan.DataFolder), 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logs?.Dispose();
            folderLock?.Dispose();
            console.MarkupLineInterpolated($"[red]The data folder {plan.DataFolder} cannot be used[/] ({e.Message}). Set dataFolder in lattice.yaml to a folder lattice may create and write.");
            return new DataFolder(null, null, string.Empty, 2);
        }
    }

    /// <summary>Logs are null exactly when the folder cannot be used (ExitCode 1 or 2).</summary>
    private readonly record struct DataFolder(DataFolderLock? Lock, LogSink? Logs, string AdminKey, int ExitCode);

    private void PrintWelcome(string adminKey)
    {
        var gateway = plan.GatewayUrl.ToString().TrimEnd('/');
        console.WriteLine();
        console.MarkupLineInterpolated($"[green]Lattice is up.[/] Gateway: [bold]{gateway}[/]");
        // Plain writes from here: the key and the example must survive copy and paste unwrapped.
        Console.WriteLine($"Admin API key: {adminKey}");
        Console.WriteLine($"  (kept in {Path.Combine(plan.DataFolder, AdminKey.FileName)}; logs in {Path.Combine(plan.DataFolder, "logs")}; stop with Ctrl+C)");
        Console.WriteLine();
        Console.WriteLine("Try:");
        Console.WriteLine($"  curl -s {gateway}/api/pipelines/support-triage -H 'Authorization: Bearer {adminKey}' -H 'Content-Type: application/json' -d '{{\"text\": \"My card still has not arrived and I am really annoyed\"}}'");
        Console.WriteLine();
    }

    private void PrintStartupFailed(SupervisedProcess failing, int failedStarts, LogSink logs)
    {
        var exitCode = failing.State.LastExitCode is { } code ? $" (last exit code {code})" : string.Empty;
        console.MarkupLineInterpolated($"[red]{failing.Replica.DisplayName} exited {failedStarts} times in a row before becoming ready{exitCode}; stopping instead of retrying.[/]");
        console.MarkupLineInterpolated($"  Its error is above; its full log is {logs.FileOf(failing.Replica)}");
    }

    private void PrintNotReady(LogSink logs)
    {
        console.MarkupLine("[red]Not every process became ready in time:[/]");
        foreach (var process in _processes.Where(p => p.State.Phase != ReplicaPhase.Ready))
        {
            console.MarkupLineInterpolated($"  {process.Replica.DisplayName}: {process.State.Phase}; see {logs.FileOf(process.Replica)}");
        }
    }

    private void WriteState(StateFile file)
    {
        // Taken and written under one lock: an older picture never replaces a newer one.
        lock (_stateLock)
        {
            file.Write(new PlatformState(
                Environment.ProcessId, plan.GatewayUrl.ToString(), timeProvider.GetUtcNow(), [.. _processes.Select(p => p.State)], SupervisorIdentity.OwnStartStamp));
        }
    }
}
