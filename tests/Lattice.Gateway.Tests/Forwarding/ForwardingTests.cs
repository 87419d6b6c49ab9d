using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lattice.ServiceDefaults;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
        request.Headers.Add("Forwarded", "for=198.51.100.1;proto=https");
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var response = await client.SendAsync(request, Ct);
        var seen = await response.Content.ReadFromJsonAsync<Dictionary<string, string>>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(seen);
        foreach (var dropped in new[] { "x-hop", "keep-alive", "proxy-authorization", "te", "x-api-key", "authorization", "forwarded" })
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
        Assert.Equal("Upstream timeout", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Forward_ClientStopsSendingItsBody_Returns408Problem_AndTheReplicaIsNotBlamed()
    {
        // A body that stops arriving holds the upstream too: past the route's timeout that is the client's fault, and
        // must not count toward ejecting the replica or opening its circuit for every caller.
        await using var upstream = await StartBodyReaderAsync();
        var settings = GatewayHost.Route("read", "/api/read", "read", "/read", [upstream.BaseAddress])
            .With("Lattice:Gateway:Routes:read:Timeout", "00:00:00.500")
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1");
        await using var sut = await GatewayHost.StartAsync(settings);

        var answer = await SendStalledBodyAsync(sut, 200_000, new string('a', 70_000));

        var replica = AssertRefused408WithoutBlame(sut, answer);
        Assert.False(replica.IsEjected(DateTimeOffset.UtcNow.UtcTicks));

        using var client = sut.CreateClient();
        var next = await client.PostAsync("/api/read", new StringContent("whole"), Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Forward_BodySlowerThanTheMinimumDataRate_Returns408Problem_AndTheReplicaIsNotBlamed(bool cached)
    {
        // Kestrel's minimum body data rate (240 bytes/s after a 5 s grace) ends the read long before the route's
        // timeout; before, that was a 400 "Reading the request body failed".
        await using var upstream = await StartBodyReaderAsync();
        var settings = GatewayHost.Route("read", "/api/read", "read", "/read", [upstream.BaseAddress])
            .With("Lattice:Gateway:Routes:read:Cache", cached ? "true" : "false")
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1");
        await using var sut = await GatewayHost.StartAsync(settings);

        var answer = await SendStalledBodyAsync(sut, 100, "12345678");

        AssertRefused408WithoutBlame(sut, answer);
    }

    /// <summary>An upstream whose POST /read reads the whole body before it answers.</summary>
    private static Task<Lattice.Testing.KestrelApp> StartBodyReaderAsync() => Upstreams.StartAsync(app => app.MapPost("/read", async (HttpContext context) =>
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        return "read";
    }));

    /// <summary>Posts to /api/read a body of <paramref name="declared"/> bytes of which only <paramref name="sent"/> come, then reads the answer until the gateway closes.</summary>
    private static async Task<string> SendStalledBodyAsync(GatewayHost sut, int declared, string sent)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(sut.BaseAddress.Host, sut.BaseAddress.Port, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"POST /api/read HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {declared}\r\n\r\n{sent}"), Ct);
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        return await reader.ReadToEndAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct); // the gateway closes the connection
    }

    /// <summary>The answer is a 408 problem that closes the connection, and route 'read''s replica took no blame for it.</summary>
    private static Lattice.Gateway.LoadBalancing.Replica AssertRefused408WithoutBlame(GatewayHost sut, string answer)
    {
        Assert.StartsWith("HTTP/1.1 408 ", answer, StringComparison.Ordinal);
        Assert.Contains(ProblemTypes.RequestTimeout, answer, StringComparison.Ordinal);
        Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
        var replica = Assert.Single(sut.Services.GetRequiredService<Lattice.Gateway.LoadBalancing.ClusterRegistry>().GetOrAdd("read").Replicas);
        Assert.Equal(0, replica.ConsecutiveFailures);
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, replica.CircuitState);
        return replica;
    }

    [Fact]
    public async Task Forward_Connect_Returns405Problem_AndTheReplicaIsNeitherCalledNorBlamed()
    {
        // HttpClient refuses to send an origin-form CONNECT; that failure used to count against the replica, so a key
        // holder could open a healthy replica's circuit for every caller with a few dozen CONNECTs.
        var calls = 0;
        await using var upstream = await Upstreams.StartAsync(app => app.Run(context =>
        {
            if (!context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref calls); // the gateway's active health checks aside
            }

            return context.Response.WriteAsync("ok");
        }));
        var settings = GatewayHost.Route("echo", "/api/echo", "echo", "/", [upstream.BaseAddress])
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1");
        await using var sut = await GatewayHost.StartAsync(settings);

        var answers = new List<(int Status, string Body)>();
        for (var i = 0; i < 25; i++)
        {
            answers.Add(await RawHttp.SendAsync(sut.BaseAddress, "CONNECT /api/echo/x HTTP/1.1\r\nHost: x\r\n\r\n", Ct));
        }

        Assert.All(answers, a => Assert.Equal(405, a.Status));
        var problem = JsonDocument.Parse(answers[0].Body).RootElement;
        Assert.Equal(ProblemTypes.MethodNotAllowed, problem.GetProperty("type").GetString());
        Assert.Contains("CONNECT", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref calls));
        var replica = Assert.Single(sut.Services.GetRequiredService<Lattice.Gateway.LoadBalancing.ClusterRegistry>().GetOrAdd("echo").Replicas);
        Assert.Equal(0, replica.ConsecutiveFailures);
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, replica.CircuitState);

        using var client = sut.CreateClient();
        var next = await client.GetAsync("/api/echo/x", Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
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
        Assert.Equal("Bad gateway", problem.GetProperty("title").GetString());
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
    public async Task Forward_ClientAbortsDuringTheResponseBody_UpstreamRequestAbortedFires()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/stream", async (HttpContext context) =>
        {
            // An endless event stream: only the client going away ends it.
            context.RequestAborted.Register(() => aborted.TrySetResult());
            var chunk = new byte[4096];
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(10, context.RequestAborted);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException)
            {
            }
        }));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("stream", "/api/stream", "stream", "/stream", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        using (var response = await client.GetAsync("/api/stream", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await using var body = await response.Content.ReadAsStreamAsync(Ct);
            Assert.True(await body.ReadAsync(new byte[4096], Ct) > 0);
        } // the client hangs up mid-body

        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
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
        Assert.Equal("Request body too large", problem.GetProperty("title").GetString());
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
            .With("Lattice:RequestLimits:MaxRequestHeadersBytes", "4096");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/h");
        request.Headers.Add("X-Big", new string('a', 5000));

        var response = await client.SendAsync(request, Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal(ProblemTypes.HeadersTooLarge, problem.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(96, HttpStatusCode.OK)]
    [InlineData(97, HttpStatusCode.RequestHeaderFieldsTooLarge)]
    public async Task Forward_HeaderLinesTheGatewayAccepts_PassAServiceWithTheDefaultLimits(int lines, HttpStatusCode expected)
    {
        // The gateway adds X-Forwarded-For/-Proto/-Host and traceparent: its own default limit leaves room for them,
        // so a service behind it with the default 100 lines never refuses what the gateway let through.
        await using var upstream = await Lattice.Testing.KestrelApp.StartAsync(
            builder => builder.AddServiceDefaults(),
            app => app.MapGet("/h", () => "ok"),
            cancellationToken: Ct);
        var settings = GatewayHost.Route("h", "/api/h", "h", "/h", [upstream.BaseAddress]);
        await using var sut = await GatewayHost.StartAsync(settings);
        var head = new System.Text.StringBuilder("GET /api/h HTTP/1.1\r\nHost: x\r\n"); // RawHttp adds Connection: close
        for (var i = 0; i < lines - 2; i++)
        {
            head.Append(System.Globalization.CultureInfo.InvariantCulture, $"X-H{i}: v\r\n");
        }

        var (status, body) = await RawHttp.SendAsync(sut.BaseAddress, head.Append("\r\n").ToString(), Ct);

        Assert.True((int)expected == status, $"{status}: {body}");
        if (expected != HttpStatusCode.OK)
        {
            Assert.Contains("the limit is 96", body, StringComparison.Ordinal); // the gateway's own answer, not the service's
        }
    }

    [Fact]
    public async Task Forward_LiteralHashInTheQuery_ReachesTheServiceWithEveryParameter()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/q", (HttpContext context) =>
            $"x={context.Request.Query["x"]};version={context.Request.Query["version"]}"));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("q", "/api/q", "q", "/q", [upstream.BaseAddress]));

        var (status, body) = await RawHttp.SendAsync(sut.BaseAddress, "GET /api/q?x=#&version=9 HTTP/1.1\r\nHost: x\r\n\r\n", Ct);

        Assert.Equal(200, status);
        Assert.Equal("x=#;version=9", body); // as the service reads it when called directly
    }

    [Fact]
    public async Task Forward_QueryCharactersUriWouldEscape_ReachTheServiceAsSent()
    {
        // .NET's Uri percent-encoded '"', '{', '|' and the like: 3,000 quotes tripled to 9,000 bytes of %22, past a
        // service's request-line limit for a request the gateway itself had accepted. nginx sends the query as it came.
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/q", (HttpContext context) =>
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("q", "/api/q", "q", "/q", [upstream.BaseAddress]));
        var query = "?q=" + new string('"', 3000) + "&b={x}|^`&c=%41%22&d=a%2Fb";

        var (status, body) = await RawHttp.SendAsync(sut.BaseAddress, $"GET /api/q{query} HTTP/1.1\r\nHost: x\r\n\r\n", Ct);

        Assert.Equal(200, status);
        Assert.Equal("/q" + query, body);
    }

    [Theory]
    [InlineData("/api/q/a%2Fb%25c?x=%23", "/q/a%2Fb%25c?x=%23")]
    [InlineData("/api/q/x?x=a%20b%C3%A9&y=%41", "/q/x?x=a%20b%C3%A9&y=%41")]
    [InlineData("/api/q/caf\u00e9?x=1", null)] // Kestrel refuses a target that is not ASCII (400) before the gateway sees it
    [InlineData("/api/q/x?x=caf\u00e9", null)]
    public async Task Forward_EscapedTargets_ReachTheServiceAsSent_AndNoneIsBlamedOnTheReplica(string target, string? atTheService)
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/q/{**rest}", (HttpContext context) =>
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget));
        var settings = GatewayHost.Route("q", "/api/q", "q", "/q", [upstream.BaseAddress])
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1");
        await using var sut = await GatewayHost.StartAsync(settings);

        var (status, body) = await RawHttp.SendAsync(sut.BaseAddress, $"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n", Ct, System.Text.Encoding.UTF8);

        Assert.Equal(atTheService is null ? 400 : 200, status);
        if (atTheService is not null)
        {
            Assert.Equal(atTheService, body);
        }

        var replica = Assert.Single(sut.Services.GetRequiredService<Lattice.Gateway.LoadBalancing.ClusterRegistry>().GetOrAdd("q").Replicas);
        Assert.Equal(0, replica.ConsecutiveFailures);
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

    [Fact]
    public async Task Forward_ConnectionHeaderNamingHeadersBesideKeepAlive_DropsThem()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/echo/headers", (HttpContext context) =>
            Results.Json(context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()))));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("echo", "/api/echo", "echo", "/v1/echo", [upstream.BaseAddress]));

        var answer = await RawHttp.SendAsync(sut.BaseAddress,
            "GET /api/echo/headers HTTP/1.1\r\nHost: gateway\r\nConnection: keep-alive, X-Hop\r\n"
            + "X-Hop: secret\r\nX-Keep: passes\r\n\r\n", Ct);
        var seen = JsonSerializer.Deserialize<Dictionary<string, string>>(answer.Body);

        Assert.Equal(200, answer.Status);
        Assert.NotNull(seen);
        Assert.False(seen.ContainsKey("x-hop"), "X-Hop reached the upstream.");
        Assert.Equal("passes", seen["x-keep"]);
    }

    [Fact]
    public async Task Forward_PercentEncodedPath_ReachesTheUpstreamAsSent()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/raw/{**rest}", (HttpContext context) =>
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("raw", "/api/raw", "raw", "/v1/raw", [upstream.BaseAddress]));

        var encoded = await RawHttp.SendAsync(sut.BaseAddress, "GET /api/raw/a%2541/b%2Fc/d%20e?q=x%2526y HTTP/1.1\r\nHost: gateway\r\n\r\n", Ct);
        var escapedPrefix = await RawHttp.SendAsync(sut.BaseAddress, "GET /api/r%61w/50%25 HTTP/1.1\r\nHost: gateway\r\n\r\n", Ct);
        var dotted = await RawHttp.SendAsync(sut.BaseAddress, "GET /api/raw/x/../y%2541 HTTP/1.1\r\nHost: gateway\r\n\r\n", Ct);

        var backslashes = await RawHttp.SendAsync(sut.BaseAddress, "GET /api/raw/x\\..\\..\\..\\admin?q=1 HTTP/1.1\r\nHost: gateway\r\n\r\n", Ct);
        var hash = await RawHttp.SendAsync(sut.BaseAddress, "GET /api/raw/x#frag?q=1 HTTP/1.1\r\nHost: gateway\r\n\r\n", Ct);

        Assert.Equal("/v1/raw/a%2541/b%2Fc/d%20e?q=x%2526y", encoded.Body);
        Assert.Equal("/v1/raw/x%5C..%5C..%5C..%5Cadmin?q=1", backslashes.Body); // not "/admin": the route's prefix holds
        Assert.Equal("/v1/raw/x%23frag?q=1", hash.Body);
        Assert.Equal("/v1/raw/50%25", escapedPrefix.Body);
        Assert.Equal("/v1/raw/y%2541", dotted.Body);
    }

    [Fact]
    public async Task Forward_BodilessPost_IsSentOnceWhenTheUpstreamDropsTheConnection()
    {
        // An upstream that answers the first request on a connection (so the pool keeps it) and drops every later one
        // after reading it: the case where SocketsHttpHandler would silently send the request again.
        await using var upstream = await DroppingUpstream.StartAsync();
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("drop", "/api/drop", "drop", "/", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var warm = await client.GetAsync("/api/drop/warm", Ct);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/drop/act");
        var acted = await client.SendAsync(post, Ct);

        Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, acted.StatusCode);
        Assert.Equal(1, upstream.Count("POST /act"));
    }
}

/// <summary>One HTTP/1.1 exchange over a raw socket, for requests HttpClient would normalise.</summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> in ASCII, or in <paramref name="encoding"/> (e.g. UTF-8 header values).</summary>
    public static async Task<(int Status, string Body)> SendAsync(Uri server, string request, CancellationToken cancellationToken, System.Text.Encoding? encoding = null)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, cancellationToken);
        var stream = tcp.GetStream();
        await stream.WriteAsync((encoding ?? System.Text.Encoding.ASCII).GetBytes(request.Replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n", StringComparison.Ordinal)), cancellationToken);
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var status = int.Parse(text.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var head = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = text[(head + 4)..];
        if (text[..head].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return (status, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new System.Text.StringBuilder();
        var at = 0;
        while (true)
        {
            var line = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked[at..line], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, line + 2, size);
            at = line + 2 + size + 2;
        }
    }
}

/// <summary>
/// A raw HTTP/1.1 upstream on loopback that answers the first request of each connection with 200 (keep-alive)
/// and reads, counts and drops every later one without answering.
/// </summary>
internal sealed class DroppingUpstream : RawUpstream
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _requests = new();

    public static Task<DroppingUpstream> StartAsync()
    {
        var upstream = new DroppingUpstream();
        upstream.Start();
        return Task.FromResult(upstream);
    }

    /// <summary>How many requests began with <paramref name="requestLine"/> ("METHOD /path").</summary>
    public int Count(string requestLine) => _requests.Count(r => r.StartsWith(requestLine + " ", StringComparison.Ordinal));

    protected override async Task ServeAsync(System.Net.Sockets.NetworkStream stream, CancellationToken stop)
    {
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        for (var served = 0; ; served++)
        {
            var requestLine = await reader.ReadLineAsync(stop);
            if (requestLine is null)
            {
                return;
            }

            while (!string.IsNullOrEmpty(await reader.ReadLineAsync(stop)))
            {
                // headers; the requests sent here carry no body
            }

            _requests.Enqueue(requestLine);
            if (served > 0)
            {
                return; // read it, answer nothing, close
            }

            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), stop);
        }
    }
}
