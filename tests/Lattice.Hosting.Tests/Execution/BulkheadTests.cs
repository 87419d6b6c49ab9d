using System.Net;
using Lattice.Hosting.Tests.Apis;
using Lattice.Hosting.Tests.Support;
using Lattice.ServiceDefaults.Problems;

namespace Lattice.Hosting.Tests.Execution;

public sealed class BulkheadTests
{
    [Fact]
    public async Task Overflow_ConcurrencyAndQueueFull_Returns429WithRetryAfterOnBothApis()
    {
        using var gate = new Gate();
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:sentiment:Bulkhead:MaxConcurrency"] = "1",
            ["Lattice:ModelServer:Models:sentiment:Bulkhead:MaxQueue"] = "1",
            ["Lattice:ModelServer:Models:sentiment:Bulkhead:RetryAfterSeconds"] = "3",
        }, server => server.AddModel("sentiment", new KeywordClassifierLoader(gate)).WithTextClassificationApi());
        using var client = sut.CreateClient();

        var blocked = client.PostAsync("/v1/sentiment", $$"""{"text": "{{Gate.BlockingText}}"}""");
        Assert.True(await gate.WaitEnteredAsync(TestContext.Current.CancellationToken));
        var queued = client.PostAsync("/v1/sentiment", """{"text": "queued"}""");
        await Eventually.TrueAsync(async () => QueueDepth(await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken)) == 1, "the queued request");

        var (typedStatus, typedBody, typedResponse) = await client.PostAsync("/v1/sentiment", """{"text": "overflow"}""");
        var (oipStatus, oipBody, oipResponse) = await client.PostAsync("/v2/models/sentiment/infer",
            """{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["overflow"]}]}""");
        gate.Open();
        var (blockedStatus, _, _) = await blocked;
        var (queuedStatus, _, _) = await queued;

        Assert.Equal(HttpStatusCode.TooManyRequests, typedStatus);
        Assert.Equal(ProblemTypes.TooManyRequests, typedBody.GetProperty("type").GetString());
        Assert.Equal("3", typedResponse.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.TooManyRequests, oipStatus);
        OpenInferenceApiTests.AssertErrorShape(oipBody, oipResponse);
        Assert.Equal("3", oipResponse.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, blockedStatus);
        Assert.Equal(HttpStatusCode.OK, queuedStatus);
    }

    // Max, not first: every in-process test app's meters are visible to every app's MeterProvider (AddMeter("*")
    // listens process-wide), so a parallel test's idle "sentiment" model can print its own series first.
    private static int QueueDepth(string metrics) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith("lattice_hosting_queue_depth{", StringComparison.Ordinal) && l.Contains("model=\"sentiment\"", StringComparison.Ordinal))
            .Select(l => (int)double.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(-1).Max();
}
