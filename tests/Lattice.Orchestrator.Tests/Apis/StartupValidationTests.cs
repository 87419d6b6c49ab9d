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
        // The orchestrator as it is deployed: its own process, run through Program.
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Lattice.Orchestrator.dll"),
            "--Orchestrator:PipelinesPath=" + _folder,
            "--Services:language:Urls=http://127.0.0.1:1",
            "--urls=http://127.0.0.1:0",
        })
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

        var log = await output + await error;
        Assert.Equal(1, process.ExitCode); // was 134: an unhandled exception aborted the runtime
        Assert.Contains("broken.yaml:4:14: step 'a' calls unknown service 'weather'", log, StringComparison.Ordinal);
        Assert.Contains("\"level\":\"Critical\"", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
    }
}
