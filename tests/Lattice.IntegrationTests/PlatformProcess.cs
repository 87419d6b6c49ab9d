using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;

namespace Lattice.IntegrationTests;

/// <summary>
/// Runs <c>lattice up</c> exactly as a user does (the CLI as its own process, which starts every component as
/// its own process) against a lattice.yaml written for the test: real projects, ports free at run time, data in
/// a temporary folder. Disposing sends SIGTERM and, should the supervisor hang, kills every process it started.
/// </summary>
internal sealed class PlatformProcess : IAsyncDisposable
{
    private readonly Process _supervisor;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _adminKey = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PlatformProcess(string root, Process supervisor, int gatewayPort)
    {
        Root = root;
        _supervisor = supervisor;
        Gateway = new Uri($"http://127.0.0.1:{gatewayPort}/");
    }

    public string Root { get; }

    public Uri Gateway { get; }

    public string AdminKey => _adminKey.Task.Result;

    public int SupervisorPid => _supervisor.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lattice.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Lattice.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts lattice up with the given services (names of the repository's services) and waits until it is ready.</summary>
    public static async Task<PlatformProcess> StartAsync(IReadOnlyList<string> services, CancellationToken cancellationToken)
    {
        var repository = RepositoryRoot();
        var root = Directory.CreateTempSubdirectory("lattice-it-").FullName;
        var basePort = FreePortBlock(services.Count + 2);
        var yaml = new StringBuilder();
        yaml.AppendLine("dataFolder: data");
        yaml.AppendLine("readyTimeout: 240s");
        yaml.AppendLine("restart: { initialBackoff: 200ms, maxBackoff: 2s, resetAfter: 5s }");
        yaml.AppendLine($"gateway: {{ project: {Path.Combine(repository, "src/Lattice.Gateway")}, port: {basePort} }}");
        yaml.AppendLine($"orchestrator: {{ project: {Path.Combine(repository, "src/Lattice.Orchestrator")}, port: {basePort + 1} }}");
        yaml.AppendLine("services:");
        for (var i = 0; i < services.Count; i++)
        {
            var project = Path.Combine(repository, "src/Services", "Lattice.Services." + char.ToUpperInvariant(services[i][0]) + services[i][1..]);
            yaml.AppendLine($"  {services[i]}: {{ project: {project}, port: {basePort + 2 + i}, environment: {{ Lattice__ModelServer__Root: {Path.Combine(repository, "models")} }} }}");
        }

        await File.WriteAllTextAsync(Path.Combine(root, PlatformConfigLoader.DefaultFileName), yaml.ToString(), cancellationToken);
        Directory.CreateDirectory(Path.Combine(root, "pipelines"));
        foreach (var pipeline in Directory.EnumerateFiles(Path.Combine(repository, "pipelines"), "*.yaml"))
        {
            File.Copy(pipeline, Path.Combine(root, "pipelines", Path.GetFileName(pipeline)));
        }

        var cli = Path.Combine(AppContext.BaseDirectory, "Lattice.Cli.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { cli, "up", "--no-build", "--configuration", PlatformConfigLoader.CurrentConfiguration() })
        {
            info.ArgumentList.Add(argument);
        }

        var platform = new PlatformProcess(root, Process.Start(info)!, basePort);
        platform._supervisor.OutputDataReceived += (_, e) => platform.OnOutput(e.Data);
        platform._supervisor.ErrorDataReceived += (_, e) => platform.OnOutput(e.Data);
        platform._supervisor.BeginOutputReadLine();
        platform._supervisor.BeginErrorReadLine();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(4));
            var exited = platform._supervisor.WaitForExitAsync(timeout.Token);
            var ready = await Task.WhenAny(platform._adminKey.Task, exited);
            if (ready != platform._adminKey.Task)
            {
                throw new InvalidOperationException("lattice up did not become ready:\n" + platform.Output + platform.LogTails());
            }
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }

        return platform;
    }

    /// <summary>The last lines of every process's log, for a failure message.</summary>
    public string LogTails()
    {
        var folder = Path.Combine(Root, "data", "logs");
        if (!Directory.Exists(folder))
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(folder, "*.log"))
        {
            text.AppendLine($"--- {Path.GetFileName(file)}");
            foreach (var line in File.ReadLines(file).TakeLast(8))
            {
                text.AppendLine(line.Length > 400 ? line[..400] : line);
            }
        }

        return text.ToString();
    }

    public PlatformState State()
    {
        // The supervisor writes state.json before it prints the admin key, and replaces it atomically (temp file and
        // rename), so a read never sees a missing or half-written file.
        var path = Path.Combine(Root, "data", Supervisor.StateFileName);
        return JsonSerializer.Deserialize<PlatformState>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    public ReplicaState Replica(string component, int index = 0) => State().Replicas.Single(r => r.Component == component && r.Index == index);

    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = Gateway, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>SIGTERM to the supervisor (it stops its children in the same order as for a Ctrl+C); true when it exited within the timeout.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (_supervisor.HasExited)
        {
            return true;
        }

        ProcessSignals.Terminate(_supervisor.Id);
        using var source = new CancellationTokenSource(timeout);
        try
        {
            await _supervisor.WaitForExitAsync(source.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var pids = File.Exists(Path.Combine(Root, "data", Supervisor.StateFileName))
            ? State().Replicas.Select(r => r.Pid).OfType<int>().ToList()
            : [];
        if (!await StopAsync(TimeSpan.FromSeconds(30)))
        {
            _supervisor.Kill(entireProcessTree: true);
        }

        foreach (var pid in pids)
        {
            try
            {
                using var child = Process.GetProcessById(pid);
                child.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone, as it should be.
            }
        }

        _supervisor.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static bool IsAlive(int pid)
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

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        const string marker = "Admin API key: ";
        if (line.StartsWith(marker, StringComparison.Ordinal))
        {
            _adminKey.TrySetResult(line[marker.Length..].Trim());
        }
    }

    /// <summary>A run of consecutive free loopback ports (and their first replica strides are not needed here).</summary>
    private static int FreePortBlock(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var start = Random.Shared.Next(20_000, 60_000);
            if (Enumerable.Range(start, count).All(IsFree))
            {
                return start;
            }
        }

        throw new InvalidOperationException("No block of free ports found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
