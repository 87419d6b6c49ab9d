using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Forwarding;

public sealed class ForwardingTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Forward_HopByHopHeaders_AreRemovedBothWays()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/echo/headers", (HttpContext context) =>
        {
            context.Response.Headers["X-From-Upstream"] = "yes";
            context.Response.Headers["Proxy-Authenticate"] = "Basic";
            return Results.Json(context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
        }));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("echo", "/api/echo", "echo", "/v1/echo", [upstream.BaseAddress], scope: null));
        var key = await sut.CreateKeyAsync(["predict:echo"]);
        using var client = sut.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/echo/headers");
        request.Headers.Add("X-Api-Key", key);
        request.Headers.Connection.Add("X-Hop");
        request.Headers.Add("X-Hop", "must not pass");
        request.Headers.Add("Keep-Alive", "timeout=5");
        request.Headers.Add("Proxy-Authorization", "Basic c2VjcmV0");
        request.Headers.TE.ParseAdd("trailers");
        request.Headers.Add("X-Keep", "passes");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var response = await client.SendAsync(request, Ct);
        var seen = await response.Content.ReadFromJsonAsync<Dictionary<string, string>>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(seen);
        foreach (var dropped in new[] { "x-hop", "keep-alive", "proxy-authorization", "te", "x-api-key", "authorization" })
        {
            Assert.False(seen.ContainsKey(dropped), $"'{dropped}' reached the upstream.");
        }

        Assert.Equal("passes", seen["x-keep"]);
        Assert.Equal("203.0.113.7, 127.0.0.1", seen["x-forwarded-for"]);
        Assert.Equal("http", seen["x-forwarded-proto"]);
        Assert.Equal(sut.BaseAddress.Authority, seen["x-forwarded-host"]);
        Assert.Equal(upstream.BaseAddress.Authority, seen["host"]);
        Assert.StartsWith($"00-{traceId}-", seen["traceparent"], StringComparison.Ordinal);
        Assert.Equal("yes", Assert.Single(response.Headers.GetValues("X-From-Upstream")));
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
    }

    [Fact]
    public async Task Forward_SlowUpstream_Returns504Problem()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/slow", async (CancellationToken token) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), token);
            return "late";
        }));
        var settings = GatewayHost.Route("slow", "/api/slow", "slow", "/slow", [upstream.BaseAddress])
            .With("Lattice:Gateway:Routes:slow:Timeout", "00:00:00.200");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var response = await client.GetAsync("/api/slow", Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(ProblemTypes.GatewayTimeout, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Forward_DeadUpstream_Returns502Problem()
    {
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("dead", "/api/dead", "dead", "/", [GatewayHost.DeadAddress()]));
        using var client = sut.CreateClient();

        var response = await client.PostAsJsonAsync("/api/dead", new { text = "x" }, Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(ProblemTypes.BadGateway, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Forward_ClientAborts_UpstreamRequestAbortedFires()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/hang", async (HttpContext context) =>
        {
            context.RequestAborted.Register(() => aborted.TrySetResult());
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("hang", "/api/hang", "hang", "/hang", [upstream.BaseAddress]));
        using var client = sut.CreateClient();
        using var clientAbort = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = client.GetAsync("/api/hang", clientAbort.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await clientAbort.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(aborted.Task.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Forward_ContentLengthOverRouteLimit_Returns413Problem()
    {
        var calls = 0;
        await using var upstream = await Upstreams.StartAsync(app => app.MapPost("/in", () => Interlocked.Increment(ref calls)));
        var settings = GatewayHost.Route("in", "/api/in", "in", "/in", [upstream.BaseAddress])
            .With("Lattice:Gateway:Routes:in:MaxRequestBodyBytes", "1000");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var response = await client.PostAsync("/api/in", new ByteArrayContent(new byte[1001]), Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(ProblemTypes.PayloadTooLarge, problem.GetProperty("type").GetString());
        Assert.Equal(0, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Forward_ChunkedBodyOverRouteLimit_Returns413Problem()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapPost("/in", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            return "read";
        }));
        var settings = GatewayHost.Route("in", "/api/in", "in", "/in", [upstream.BaseAddress])
            .With("Lattice:Gateway:Routes:in:MaxRequestBodyBytes", "1000");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();
        using var content = new StreamContent(new MemoryStream(new byte[5000]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/in") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Forward_HeadersOverLimit_Returns431Problem()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/h", () => "ok"));
        var settings = GatewayHost.Route("h", "/api/h", "h", "/h", [upstream.BaseAddress])
            .With("Lattice:Gateway:MaxRequestHeadersBytes", "4096");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/h");
        request.Headers.Add("X-Big", new string('a', 5000));

        var response = await client.SendAsync(request, Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal(ProblemTypes.HeadersTooLarge, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Forward_UpstreamProblem_IsRelayedUntouched()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapPost("/v1/x", () =>
            Results.Problem("text too long", statusCode: 422, type: "https://lattice.dev/problems/validation")));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("x", "/api/x", "x", "/v1/x", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.PostAsJsonAsync("/api/x", new { text = "..." }, Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("text too long", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Forward_UpstreamBodilessError_StaysBodiless()
    {
        // Chunked and empty: no Content-Length reaches the gateway, so only the skip keeps its ProblemDetails layer off.
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/x", async (HttpContext context) =>
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            await context.Response.StartAsync(context.RequestAborted);
        }));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("x", "/api/x", "x", "/v1/x", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.GetAsync("/api/x", Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }
}
