using System.Diagnostics;
using Lattice.Orchestrator.Pipelines;

namespace Lattice.Orchestrator.Tests.Apis;

public sealed class StartupValidationTests
{
    [Fact]
    public async Task Start_InvalidPipelineFile_StopsWithLineNumberedErrors()
    {
        var folder = Directory.CreateTempSubdirectory("lattice-bad-pipelines-").FullName;
        try
        {
            await File.WriteAllTextAsync(
                Path.Combine(folder, "broken.yaml"),
                "name: broken\nsteps:\n  - id: a\n    service: weather\n",
                TestContext.Current.CancellationToken);

            var error = await Assert.ThrowsAsync<PipelineValidationException>(() => OrchestratorHarness.StartOrchestratorAsync(
                new Dictionary<string, string?>
                {
                    ["Orchestrator:PipelinesPath"] = folder,
                    ["Services:language:Urls"] = "http://127.0.0.1:1",
                }));

            Assert.Contains("broken.yaml:4:14: step 'a' calls unknown service 'weather' (known: ", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Process_InvalidPipelineFile_LogsTheProblemAndExitsWithOneWithoutStackTrace()
    {
        var folder = Directory.CreateTempSubdirectory("lattice-bad-pipelines-").FullName;
        try
        {
            await File.WriteAllTextAsync(
                Path.Combine(folder, "broken.yaml"),
                "name: broken\nsteps:\n  - id: a\n    service: weather\n",
                TestContext.Current.CancellationToken);

            // The orchestrator as it is deployed: its own process, run through Program.
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "Lattice.Orchestrator.dll"),
                "--Orchestrator:PipelinesPath=" + folder,
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
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
