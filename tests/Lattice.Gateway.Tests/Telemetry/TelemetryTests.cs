using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Lattice.Gateway.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Telemetry;

public sealed class TelemetryTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_AfterRequests_ExposeRequestsByRouteAndStatusAndRateLimits()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/m", () => "ok"));
        var settings = GatewayHost.Route("metered", "/api/metered", "m", "/v1/m", [upstream.BaseAddress], scope: null)
            .With("Lattice:Gateway:RateLimit:Burst", "1")
            .With("Lattice:Gateway:RateLimit:PermitsPerSecond", "0.01");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient(await sut.CreateKeyAsync(["predict:m"]));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/metered", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/api/metered", Ct)).StatusCode);
        var text = await client.GetStringAsync("/metrics", Ct);

        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("lattice_gateway_requests_total{", StringComparison.Ordinal)
            && l.Contains("route=\"metered\"", StringComparison.Ordinal) && l.Contains("status_code=\"200\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("lattice_gateway_requests_total{", StringComparison.Ordinal)
            && l.Contains("status_code=\"429\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("lattice_gateway_rate_limited_total{", StringComparison.Ordinal) && l.Contains("reason=\"key\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("lattice_gateway_upstream_duration_seconds_bucket{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("lattice_gateway_circuit_state{", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tracing_RetriedRequest_HasOneSpanPerAttempt()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GatewayTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var upstream = await Upstreams.StartAsync(app => app.MapPost("/v1/t", () => "ok"));
        var dead = GatewayHost.DeadAddress();
        var settings = GatewayHost.Route("traced", "/api/traced", "t", "/v1/t", [dead, upstream.BaseAddress])
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1000");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();
        var traceId = ActivityTraceId.CreateRandom();

        // Until the balancer happens to try the dead replica first, so that the request needs two attempts.
        List<Activity> mine = [];
        for (var i = 0; i < 40 && mine.Count < 2; i++)
        {
            traceId = ActivityTraceId.CreateRandom();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/traced") { Content = JsonContent.Create(new { }) };
            request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request, Ct)).StatusCode);
            lock (spans)
            {
                mine = [.. spans.Where(s => s.TraceId == traceId)];
            }
        }

        Assert.Equal(2, mine.Count);
        Assert.All(mine, span => Assert.Equal("gateway.upstream traced", span.OperationName));
        Assert.Contains(mine, span => span.Status == ActivityStatusCode.Error && (string?)span.GetTagItem("server.address") == dead.Authority);
        Assert.Contains(mine, span => (int?)span.GetTagItem("http.response.status_code") == 200);
    }

    [Theory]
    [InlineData("01")]
    [InlineData("00")]
    public async Task Tracing_CallersSampledFlag_ReachesTheUpstream(string flags)
    {
        // No OTLP exporter here: the gateway records nothing of its own, but must not reset the caller's decision.
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/t", (HttpContext context) => context.Request.Headers["traceparent"].ToString()));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("traced", "/api/traced", "t", "/v1/t", [upstream.BaseAddress]));
        using var client = sut.CreateClient();
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/traced");
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-{flags}");

        var seen = await (await client.SendAsync(request, Ct)).Content.ReadAsStringAsync(Ct);

        Assert.StartsWith($"00-{traceId}-", seen, StringComparison.Ordinal);
        Assert.EndsWith("-" + flags, seen, StringComparison.Ordinal);
    }
}
