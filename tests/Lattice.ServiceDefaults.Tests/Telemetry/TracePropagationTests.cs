using System.Diagnostics;
using System.Net.Http.Json;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults.Tests.Telemetry;

public sealed class TracePropagationTests
{
    private sealed record Seen(string TraceId, string ParentSpanId, string? Traceparent);

    [Fact]
    public async Task Traceparent_AcrossTwoHops_DownstreamSpanCarriesCallerTraceId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var downstream = await TestApps.StartAsync(app => app.MapGet("/whoami", (HttpContext context) =>
            new Seen(
                Activity.Current!.TraceId.ToHexString(),
                Activity.Current.ParentSpanId.ToHexString(),
                context.Request.Headers.TraceParent.ToString())));
        await using var upstream = await TestApps.StartAsync(
            app => app.MapGet("/relay", async (IHttpClientFactory factory, CancellationToken token) =>
            {
                var client = factory.CreateClient();
                var seen = await client.GetFromJsonAsync<Seen>("http://downstream/whoami", token);
                return new { Upstream = Activity.Current!.SpanId.ToHexString(), Downstream = seen };
            }),
            settings: new Dictionary<string, string?> { ["Services:downstream:Urls"] = downstream.BaseAddress.ToString() });
        using var client = upstream.CreateClient();
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/relay");
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{callerSpan.ToHexString()}-01");

        var response = await client.SendAsync(request, ct);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct);

        response.EnsureSuccessStatusCode();
        var seenDownstream = body.GetProperty("downstream");
        Assert.Equal(traceId.ToHexString(), seenDownstream.GetProperty("traceId").GetString());
        var traceparent = seenDownstream.GetProperty("traceparent").GetString()!;
        Assert.StartsWith($"00-{traceId.ToHexString()}-", traceparent, StringComparison.Ordinal);
        // The downstream's parent is the upstream's HttpClient span, a child of the upstream's server span.
        Assert.NotEqual(body.GetProperty("upstream").GetString(), seenDownstream.GetProperty("parentSpanId").GetString());
        Assert.NotEqual(callerSpan.ToHexString(), seenDownstream.GetProperty("parentSpanId").GetString());
    }

    [Fact]
    public async Task HealthProbe_ServerSpan_IsNotRecorded()
    {
        var ct = TestContext.Current.CancellationToken;
        var recorded = new List<(ActivityTraceId TraceId, bool Recorded)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (recorded)
                {
                    recorded.Add((activity.TraceId, activity.Recorded));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = await TestApps.StartAsync(a => a.MapGet("/work", () => "done"));
        using var client = app.CreateClient();

        // Each request gets its own trace id, so the spans can be told apart without any tags.
        var probeTrace = await SendTracedAsync(client, "/health/ready", ct);
        var workTrace = await SendTracedAsync(client, "/work", ct);

        await WaitForAsync(() => { lock (recorded) { return recorded.Count(r => r.TraceId == probeTrace || r.TraceId == workTrace) >= 2; } }, ct);
        lock (recorded)
        {
            Assert.Contains(recorded, r => r.TraceId == probeTrace && !r.Recorded);
            Assert.Contains(recorded, r => r.TraceId == workTrace && r.Recorded);
        }
    }

    private static async Task<ActivityTraceId> SendTracedAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        (await client.SendAsync(request, cancellationToken)).EnsureSuccessStatusCode();
        return traceId;
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50, cancellationToken);
        }
    }
}
