using System.Net;
using System.Text.Json;
using Lattice.Hosting.Tests.Support;
using Lattice.ServiceDefaults.Problems;
using Microsoft.Extensions.Logging;

namespace Lattice.Hosting.Tests.Apis;

/// <summary>
/// A model that throws or answers NaN is a server error in each API's own shape (<c>{"error"}</c> under /v2, ProblemDetails on
/// the typed API) with no exception details, logged with the model and version and counted as an internal error.
/// </summary>
public sealed class ServerErrorTests
{
    private static async Task<(ModelServerApp Server, CapturingLoggerProvider Logs)> StartAsync(bool batching)
    {
        var logs = new CapturingLoggerProvider();
        var server = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:sentiment:Batching:Enabled"] = batching ? "true" : "false",
            ["Lattice:ModelServer:Models:sentiment:Batching:MaxWait"] = batching ? "00:00:00.005" : null,
        }, server => server.AddModel("sentiment", new KeywordClassifierLoader(explodingVersion: "2")).WithTextClassificationApi(),
            configure: builder => builder.Logging.AddProvider(logs));
        return (server, logs);
    }

    private static string OipRequest(string text) =>
        $$"""{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["{{text}}"]}]}""";

    private static Task<bool> HasInternalErrorAsync(HttpClient client) =>
        client.HasMetricAsync("lattice_hosting_errors_total", "kind=\"internal\"", "model=\"sentiment\"", "version=\"2\"");

    [Theory]
    [InlineData(KeywordClassifierLoader.ExplodingText, false)]
    [InlineData(KeywordClassifierLoader.ExplodingText, true)]
    [InlineData(KeywordClassifierLoader.NonFiniteText, false)]
    [InlineData(KeywordClassifierLoader.NonFiniteText, true)]
    public async Task OipInfer_ModelThrowsOrAnswersNaN_Returns500ErrorObjectLoggedWithModelAndVersionAndCounted(string text, bool batching)
    {
        var (sut, logs) = await StartAsync(batching);
        await using var _ = sut;
        using var client = sut.CreateClient();

        var (status, body, response) = await client.PostAsync("/v2/models/sentiment/infer", OipRequest(text));
        var (after, _, _) = await client.PostAsync("/v2/models/sentiment/infer", OipRequest("positive"));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        OpenInferenceApiTests.AssertErrorShape(body, response);
        Assert.DoesNotContain("on purpose", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.True(await HasInternalErrorAsync(client));
        var logged = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal("sentiment", logged.State["ModelName"]);
        Assert.Equal("2", logged.State["ModelVersion"]);
        Assert.Equal(text == KeywordClassifierLoader.ExplodingText ? "This version fails on purpose." : null, logged.Exception?.Message);
    }

    [Theory]
    [InlineData("/v1/sentiment", KeywordClassifierLoader.ExplodingText)]
    [InlineData("/v1/sentiment", KeywordClassifierLoader.NonFiniteText)]
    [InlineData("/v1/sentiment:batch", KeywordClassifierLoader.ExplodingText)]
    [InlineData("/v1/sentiment:batch", KeywordClassifierLoader.NonFiniteText)]
    public async Task TypedClassify_ModelFails_Returns500ProblemDetailsCountedAsInternal(string path, string text)
    {
        var (sut, _) = await StartAsync(batching: false);
        await using var __ = sut;
        using var client = sut.CreateClient();
        var json = path.EndsWith(":batch", StringComparison.Ordinal)
            ? JsonSerializer.Serialize(new { texts = new[] { "positive", text } })
            : JsonSerializer.Serialize(new { text });

        var (status, body, response) = await client.PostAsync(path, json);

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ProblemTypes.Internal, body.GetProperty("type").GetString());
        Assert.DoesNotContain("on purpose", body.GetRawText(), StringComparison.Ordinal);
        Assert.True(await HasInternalErrorAsync(client));
    }
}
