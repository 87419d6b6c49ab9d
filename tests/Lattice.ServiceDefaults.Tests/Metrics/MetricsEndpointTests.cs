using System.Diagnostics.Metrics;
using System.Net;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.ServiceDefaults.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_AfterTraffic_PassesPromtoolAndHoldsFrameworkAndCustomInstruments()
    {
        var promtool = ExternalTool.Require("promtool");
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApps.StartAsync(a =>
        {
            var meter = a.Services.GetRequiredService<IMeterFactory>().Create("Lattice.Tests.Metrics");
            var predictions = meter.CreateCounter<long>("lattice.test.predictions", "{prediction}", "Predictions served.\nSecond line \\ backslash.");
            var latency = meter.CreateHistogram<double>("lattice.test.latency", "s", "Prediction latency.");
            var queue = meter.CreateUpDownCounter<int>("lattice.test.queue-depth", "{request}", "Queued requests.");
            meter.CreateObservableGauge("lattice.test.ratio", () => 0.25, "1", "A ratio.");
            a.MapGet("/predict", () =>
            {
                predictions.Add(1, new KeyValuePair<string, object?>("model.name", "senti\"ment\n"), new KeyValuePair<string, object?>("9version", "3"));
                latency.Record(0.0042, new KeyValuePair<string, object?>("model.name", "sentiment"));
                queue.Add(2);
                return Results.Ok();
            });
        });
        using var client = app.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("/predict", ct)).EnsureSuccessStatusCode();
        }

        var response = await client.GetAsync("/metrics", ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var (exitCode, stdout, stderr) = await ExternalTool.RunAsync(promtool, ["check", "metrics"], text, TimeSpan.FromSeconds(30), ct);

        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        // Exit 1 is a parse error; exit 3 is lint advice only. The one piece of advice we accept is the
        // "_count" suffix on the runtime's own gauges (dotnet.assembly.count, ...): renaming them would
        // break every dashboard built on the OpenTelemetry names.
        Assert.True(exitCode is 0 or 3, $"promtool exit {exitCode}: {stdout}\n{stderr}\n---\n{text}");
        var advice = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(advice, line => Assert.Matches("^dotnet_[a-z_]+_count non-histogram and non-summary metrics should not have \"_count\" suffix$", line));
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("le=\"+Inf\"", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_count{", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE lattice_test_predictions_total counter", text, StringComparison.Ordinal);
        Assert.Contains("model_name=\"senti\\\"ment\\n\"", text, StringComparison.Ordinal);
        Assert.Contains("_9version=\"3\"", text, StringComparison.Ordinal);
        Assert.Contains("# HELP lattice_test_predictions_total Predictions served.\\nSecond line \\\\ backslash.", text, StringComparison.Ordinal);
        Assert.Contains("lattice_test_latency_seconds_sum{model_name=\"sentiment\"} 0.0126", text, StringComparison.Ordinal);
        Assert.Contains("lattice_test_latency_seconds_bucket{model_name=\"sentiment\",le=\"0.0025\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("lattice_test_latency_seconds_bucket{model_name=\"sentiment\",le=\"0.005\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE lattice_test_queue_depth gauge", text, StringComparison.Ordinal);
        Assert.Contains("lattice_test_queue_depth 6", text, StringComparison.Ordinal);
        Assert.Contains("lattice_test_ratio 0.25", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_Head_AnswersAsGetWithoutABody()
    {
        // RFC 9110 §9.3.2: HEAD wherever GET is allowed. Before: 405 (the endpoint was mapped for GET only).
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApps.StartAsync(_ => { });
        using var client = app.CreateClient();

        var get = await client.GetAsync("/metrics", ct);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/metrics"), ct);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(get.Headers.CacheControl, head.Headers.CacheControl);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(ct));
    }

    [Fact]
    public async Task Metrics_ByDefault_LeaveOutPerOperationMetersAndConfiguredOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApps.StartAsync(
            MapCounters,
            settings: new Dictionary<string, string?> { ["Lattice:Telemetry:ExcludedMetrics:0"] = "lattice.test.hidden" });
        var text = await ScrapeAfterTrafficAsync(app, ct);

        Assert.Contains("http_server_request_duration_seconds_count{", text, StringComparison.Ordinal);
        Assert.Contains("lattice_test_shown_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("lattice_test_hidden", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_memory_pool_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_routing_match_attempts", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OutgoingCalls_KeepTheDurationHistogramButNotTheActiveRequestsGauge()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApps.StartAsync(a => a.MapGet("/call", async (HttpContext context, IHttpClientFactory clients) =>
        {
            using var client = clients.CreateClient();
            var self = $"{context.Request.Scheme}://{context.Request.Host}/health/live";
            (await client.GetAsync(self, context.RequestAborted)).EnsureSuccessStatusCode();
            return Results.Ok();
        }));
        using var client = app.CreateClient();

        (await client.GetAsync("/call", ct)).EnsureSuccessStatusCode();
        var text = await client.GetStringAsync("/metrics", ct);

        Assert.Contains("http_client_request_duration_seconds_count{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http_client_active_requests", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http_client_open_connections", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_PublishAllMeters_IncludesTheDefaultExclusions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApps.StartAsync(
            MapCounters,
            settings: new Dictionary<string, string?>
            {
                ["Lattice:Telemetry:ExcludedMetrics:0"] = "lattice.test.hidden",
                ["Lattice:Telemetry:PublishAllMeters"] = "true",
            });
        var text = await ScrapeAfterTrafficAsync(app, ct);

        Assert.Contains("lattice_test_hidden_total", text, StringComparison.Ordinal);
        Assert.Contains("aspnetcore_routing_match_attempts", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_TwoHostsInOneProcess_EachPublishesOnlyItsOwnAndOutlivesTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        static void MapShared(WebApplication app, long step)
        {
            var counter = app.Services.GetRequiredService<IMeterFactory>().Create("Lattice.Tests.Shared").CreateCounter<long>("lattice.test.shared");
            app.MapGet("/count", () =>
            {
                counter.Add(step);
                return Results.Ok();
            });
        }

        await using var first = await TestApps.StartAsync(a => MapShared(a, 1));
        var second = await TestApps.StartAsync(a => MapShared(a, 100));
        try
        {
            await ScrapeAfterTrafficAsync(second, ct);
            var firstText = await ScrapeAfterTrafficAsync(first, ct);

            Assert.Contains("lattice_test_shared_total 1\n", firstText, StringComparison.Ordinal);
        }
        finally
        {
            await second.DisposeAsync();
        }

        // The other host's meter is gone; this host's instrument of the same name must still be published.
        var after = await ScrapeAfterTrafficAsync(first, ct);
        after = await ScrapeAfterTrafficAsync(first, ct);

        Assert.Contains("lattice_test_shared_total 3\n", after, StringComparison.Ordinal);
    }

    private static void MapCounters(WebApplication app)
    {
        var meter = app.Services.GetRequiredService<IMeterFactory>().Create("Lattice.Tests.Excluded");
        var shown = meter.CreateCounter<long>("lattice.test.shown");
        var hidden = meter.CreateCounter<long>("lattice.test.hidden");
        app.MapGet("/count", () =>
        {
            shown.Add(1);
            hidden.Add(1);
            return Results.Ok();
        });
    }

    private static async Task<string> ScrapeAfterTrafficAsync(KestrelApp app, CancellationToken ct)
    {
        using var client = app.CreateClient();
        (await client.GetAsync("/count", ct)).EnsureSuccessStatusCode();
        return await client.GetStringAsync("/metrics", ct);
    }

    [Fact]
    public async Task Metrics_CollectionStuck_ScrapesAnswer503AndRecoverOnceItEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApps.StartAsync(
            a => a.Services.GetRequiredService<IMeterFactory>().Create("Lattice.Tests.Stuck").CreateObservableGauge("lattice.test.stuck", () =>
            {
                // An observable callback that blocks (a lock, a slow read) holds up the whole collection.
                entered.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(60));
                return 1;
            }),
            settings: new Dictionary<string, string?> { ["Lattice:Telemetry:ScrapeTimeout"] = "00:00:00.200" });
        try
        {
            using var client = app.CreateClient();
            var first = client.GetAsync("/metrics", ct);
            await entered.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);

            // The bounds only catch a hang: both scrapes are due back after the 200 ms scrape timeout.
            using var second = await client.GetAsync("/metrics", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            using var firstResponse = await first.WaitAsync(TimeSpan.FromSeconds(30), ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, firstResponse.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
            Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            release.Set();
        }

        using var after = await app.CreateClient().GetAsync("/metrics", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Contains("lattice_test_stuck 1", await after.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }
}
