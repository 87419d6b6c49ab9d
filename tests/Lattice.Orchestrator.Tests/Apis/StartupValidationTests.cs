using System.Diagnostics;
using Lattice.Orchestrator.Pipelines;

namespace Lattice.Orchestrator.Tests.Apis;

/// <summary>A pipelines folder with one invalid file: the orchestrator must not start, and must say why.</summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lattice-bad-pipelines-").FullName;

    public StartupValidationTests() =>
        File.WriteAllText(Path.Combine(_folder, "broken.yaml"), "name: broken\nsteps:\n  - id: a\n    service: weather\n");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Start_InvalidPipelineFile_StopsWithLineNumberedErrors()
    {
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() => OrchestratorHarness.StartOrchestratorAsync(
            new Dictionary<string, string?>
            {
                ["Orchestrator:PipelinesPath"] = _folder,
                ["Services:language:Urls"] = "http://127.0.0.1:1",
            }));

        Assert.Contains("broken.yaml:4:14: step 'a' calls unknown service 'weather' (known: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_InvalidPipelineFile_LogsTheProblemAndExitsWithOneWithoutStackTrace()
    {
        var (exitCode, log) = await RunOrchestratorProcessAsync("--Orchestrator:PipelinesPath=" + _folder);

        Assert.Equal(1, exitCode); // was 134: an unhandled exception aborted the runtime
        Assert.Contains("broken.yaml:4:14: step 'a' calls unknown service 'weather'", log, StringComparison.Ordinal);
        AssertCleanCriticalStop(log);
    }

    [Fact]
    public async Task Process_MissingPipelinesFolder_LogsItAndExitsWithOneWithoutStackTrace()
    {
        var missing = Path.Combine(_folder, "nowhere");

        var (exitCode, log) = await RunOrchestratorProcessAsync("--Orchestrator:PipelinesPath=" + missing);

        Assert.Equal(1, exitCode); // was 134, as for an invalid file
        Assert.Contains($"Orchestrator:PipelinesPath '{missing}' does not exist.", log, StringComparison.Ordinal);
        AssertCleanCriticalStop(log);
    }

    [Fact]
    public async Task Process_SettingOutOfRange_LogsItAndExitsWithOneWithoutStackTrace()
    {
        File.Delete(Path.Combine(_folder, "broken.yaml")); // only the setting is wrong

        var (exitCode, log) = await RunOrchestratorProcessAsync("--Orchestrator:PipelinesPath=" + _folder, "--Orchestrator:MaxRequestBytes=1");

        Assert.Equal(1, exitCode);
        Assert.Contains("MaxRequestBytes", log, StringComparison.Ordinal);
        AssertCleanCriticalStop(log);
    }

    private static void AssertCleanCriticalStop(string log)
    {
        Assert.Contains("\"level\":\"Critical\"", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
    }

    /// <summary>The orchestrator as it is deployed: its own process, run through Program, until it exits (at most a minute).</summary>
    private async Task<(int ExitCode, string Log)> RunOrchestratorProcessAsync(params string[] settings)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lattice.Orchestrator.dll"));
        foreach (var argument in settings.Concat(["--Services:language:Urls=http://127.0.0.1:1", "--urls=http://127.0.0.1:0"]))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var hang = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        hang.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output + await error);
    }
}
