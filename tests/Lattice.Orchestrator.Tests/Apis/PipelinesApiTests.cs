using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lattice.Orchestrator.Tests.Apis;

public sealed class PipelinesApiTests
{
    private const string Pipeline = """
        name: single
        steps:
          - id: language
            service: language
            input: { text: $.input.text }
        """;

    [Fact]
    public async Task Run_Answer_IsSentWithAContentLengthNotChunked()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Pipeline, "language");
        using var client = harness.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/pipelines/single", new { text = "hello" }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var run = JsonDocument.Parse(body).RootElement;
        Assert.Equal("single", run.GetProperty("pipeline").GetString());
        Assert.Equal("language-label", run.GetProperty("output").GetProperty("language").GetProperty("label").GetString());
        Assert.Equal("ok", run.GetProperty("steps")[0].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Array, run.GetProperty("degraded").ValueKind);
        Assert.Equal(JsonValueKind.Number, run.GetProperty("durationMs").ValueKind);
    }

    [Fact]
    public async Task OpenApi_RunPipeline_DescribesTheJsonAnswer()
    {
        var folder = Directory.CreateTempSubdirectory("lattice-openapi-pipelines-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "single.yaml"), Pipeline, TestContext.Current.CancellationToken);
            await using var app = await OrchestratorHarness.StartOrchestratorAsync(
                new Dictionary<string, string?> { ["Orchestrator:PipelinesPath"] = folder, ["Services:language:Urls"] = "http://127.0.0.1:1" },
                withOpenApi: true);
            using var client = app.CreateClient();

            var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", TestContext.Current.CancellationToken);

            var ok = document.GetProperty("paths").GetProperty("/v1/pipelines/{name}").GetProperty("post").GetProperty("responses").GetProperty("200");
            var schema = ok.GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.Equal("#/components/schemas/PipelineResponse", schema.GetProperty("$ref").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
