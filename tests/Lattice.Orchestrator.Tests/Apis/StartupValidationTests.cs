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
}
