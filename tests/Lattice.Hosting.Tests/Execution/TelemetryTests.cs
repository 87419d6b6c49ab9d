using System.Net;
using Lattice.Hosting.Predictions;
using Lattice.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Tests.Execution;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Metrics_AfterRequests_HaveEveryInstrumentPerModelAndVersion()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults());
        using var client = sut.CreateClient();
        await client.PostAsync("/v1/sentiment", """{"text": "positive"}""");
        await client.PostAsync("/v1/sentiment?version=1", """{"text": "positive"}""");
        await client.PostAsync("/v1/sentiment:batch", """{"texts": ["positive", "negative"]}""");
        await client.PostAsync("/v1/sentiment", """{"text": ""}""");
        await client.PostAsync("/v2/models/sentiment/versions/9/infer", "{}");

        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var lines = metrics.Split('\n');
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', lines.Where(l => l.StartsWith("lattice_hosting", StringComparison.Ordinal))));

        bool Has(string name, params string[] labels) => lines.Any(l => l.StartsWith(name + "{", StringComparison.Ordinal)
            && labels.All(label => l.Contains(label, StringComparison.Ordinal)));
        Assert.True(Has("lattice_hosting_requests_total", "model=\"sentiment\"", "version=\"2\""));
        Assert.True(Has("lattice_hosting_requests_total", "model=\"sentiment\"", "version=\"1\""));
        Assert.True(Has("lattice_hosting_request_duration_seconds_bucket", "model=\"sentiment\"", "version=\"2\"", "le=\"0.0001\""));
        Assert.True(Has("lattice_hosting_batch_size_bucket", "model=\"sentiment\"", "version=\"2\""));
        Assert.True(Has("lattice_hosting_inflight", "model=\"sentiment\"", "version=\"2\""));
        Assert.True(Has("lattice_hosting_queue_depth", "model=\"sentiment\""));
        Assert.True(Has("lattice_hosting_model_versions", "model=\"sentiment\""));
        Assert.True(Has("lattice_hosting_model_loads_total", "model=\"linear\"", "version=\"1\""));
        Assert.True(Has("lattice_hosting_errors_total", "kind=\"bad_input\""));
        Assert.True(Has("lattice_hosting_errors_total", "kind=\"not_found\"", "model=\"sentiment\"", "version=\"unknown\"")); // version 9 is not served

        // lattice_hosting_inflight replaces ASP.NET Core's process-wide gauge; the HTTP duration histogram stays.
        Assert.True(Has("http_server_request_duration_seconds_bucket"));
        Assert.DoesNotContain(lines, l => l.StartsWith("http_server_active_requests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PredictionSink_EachPrediction_RecordsInputOutputVersionLatencyAndTrace()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults());
        using var client = sut.CreateClient();
        var sink = sut.Services.GetRequiredService<InMemoryPredictionSink>();
        var before = sink.Count;

        var (status, _, _) = await client.PostAsync("/v1/sentiment:batch", """{"texts": ["positive record", "negative record"]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(before + 2, sink.Count);
        var recorded = sink.Snapshot().TakeLast(2).ToList();
        Assert.Equal(["positive record", "negative record"], recorded.Select(p => p.Input));
        Assert.Equal(["positive", "negative"], recorded.Select(p => p.Output));
        Assert.All(recorded, p =>
        {
            Assert.Equal("sentiment", p.Model);
            Assert.Equal("2", p.Version);
            Assert.False(p.Shadow);
            Assert.True(p.LatencySeconds >= 0);
            Assert.Equal(32, p.TraceId!.Length);
            Assert.Equal(Lattice.Contracts.Events.EventTypes.Prediction, p.Type);
        });
    }

    [Fact]
    public void PredictionRecord_LongTextAndFeatures_AreSummarised()
    {
        var text = new PredictionRecord("m", "1", false, new string('x', 100), default, "l", 0.5f, 0.001, default, DateTimeOffset.UnixEpoch);
        var features = new PredictionRecord("m", "1", false, null, Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), null, 3f, 0.001, default, DateTimeOffset.UnixEpoch);

        Assert.Equal(new string('x', 10) + "…", text.ToEvent(10).Input);
        Assert.StartsWith("[0, 1, 2", features.ToEvent(10).Input, StringComparison.Ordinal);
        Assert.EndsWith(", …]", features.ToEvent(10).Input, StringComparison.Ordinal);
        Assert.Equal("3", features.ToEvent(10).Output);
        Assert.Null(features.ToEvent(10).TraceId);
    }

    [Fact]
    public async Task Errors_OnNamesAClientTyped_AreTaggedUnknown_NotOneSeriesPerName()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults());
        using var client = sut.CreateClient();

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/v1/sentiment?version=probe-{i}", """{"text": "x"}""")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/v2/models/sentiment/versions/probe-{i}/infer", "{}")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/v2/models/probe-{i}/infer", "{}")).Status);
        }

        await client.PostAsync("/v2/models/sentiment/versions/1/infer", "{}"); // a served version keeps its name

        var errors = (await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken)).Split('\n')
            .Where(l => l.StartsWith("lattice_hosting_errors_total{", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(errors, l => l.Contains("probe-", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.Contains("model=\"sentiment\"", StringComparison.Ordinal) && l.Contains("version=\"unknown\"", StringComparison.Ordinal)
            && l.EndsWith(" 100", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.Contains("model=\"unknown\"", StringComparison.Ordinal) && l.EndsWith(" 50", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.Contains("version=\"1\"", StringComparison.Ordinal) && l.Contains("kind=\"bad_input\"", StringComparison.Ordinal));
    }
}
