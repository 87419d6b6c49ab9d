using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Forwarding;

/// <summary>
/// Answers and headers Kestrel or HttpClient would refuse: the gateway relays what it can, answers 502 for what it
/// cannot, and never blames a healthy upstream for a client's header.
/// </summary>
public sealed class UpstreamAnswerTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClientHeader_NonAscii_ReachesTheUpstreamUnchangedAndCountsNothingAgainstIt()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/echo", (HttpContext c) => Uri.EscapeDataString(c.Request.Headers["X-Note"].ToString())));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("echo", "/api/echo", "echo", "/", [upstream.BaseAddress]));

        // More than the breaker's minimum throughput: before the fix each failed the attempt as upstream_failed.
        var answers = new List<(int Status, string Body)>();
        for (var i = 0; i < 25; i++)
        {
            answers.Add(await RawHttp.SendAsync(sut.BaseAddress, "GET /api/echo/echo HTTP/1.1\r\nHost: x\r\nX-Note: café ✓\r\n\r\n", Ct, Encoding.UTF8));
        }

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.All(answers, a => Assert.Equal(Uri.EscapeDataString("café ✓"), a.Body)); // echoed escaped: the raw reader counts chunks in characters
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok")]
    public async Task UpstreamAnswer_WithAHeaderKestrelCannotSend_Returns502ProblemDetails(string answer)
    {
        await using var upstream = await ScriptedUpstream.StartAsync(answer);
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("bad", "/api/bad", "bad", "/", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.GetAsync("/api/bad/x", Ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("HTTP/1.1 099 Weird\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")]
    [InlineData("HTTP/1.1 600 Beyond\r\nContent-Length: 0\r\n\r\n")]
    public async Task UpstreamAnswer_WithAStatusThatCannotBeRelayed_Returns502ProblemDetails(string answer)
    {
        // Before, 099 went out as the invalid status line "HTTP/1.1 99 " and 101 as a switch to no protocol at all.
        await using var upstream = await ScriptedUpstream.StartAsync(answer);
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("odd", "/api/odd", "odd", "/", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.GetAsync("/api/odd/x", Ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UpstreamAnswer_204WithABody_Is204WithoutIt()
    {
        await using var upstream = await ScriptedUpstream.StartAsync("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello");
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("empty", "/api/empty", "empty", "/", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.DeleteAsync("/api/empty/x", Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task UpstreamAnswer_SmallBodyStallingMidway_Is504AtTheRouteTimeout()
    {
        // Headers and 5 of 100 bytes, then nothing. The small body is read whole before anything is sent, so the route's
        // timeout still applies; before, the client waited until the upstream's connection died.
        await using var upstream = await ScriptedUpstream.StartAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello", stall: true);
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("stall", "/api/stall", "stall", "/", [upstream.BaseAddress])
            .With("Lattice:Gateway:Routes:stall:Timeout", "00:00:00.500"));
        using var client = sut.CreateClient();

        var response = await client.GetAsync("/api/stall/x", Ct);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UpstreamAnswer_SmallBodyShorterThanItsLength_Is502()
    {
        await using var upstream = await ScriptedUpstream.StartAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello");
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("cut", "/api/cut", "cut", "/", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.GetAsync("/api/cut/x", Ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

/// <summary>A raw HTTP/1.1 upstream on loopback that answers each request with fixed bytes, then closes (or stalls).</summary>
internal sealed class ScriptedUpstream(string answer, bool stall) : RawUpstream
{
    private readonly byte[] _answer = Encoding.Latin1.GetBytes(answer);

    public static Task<ScriptedUpstream> StartAsync(string answer, bool stall = false)
    {
        var upstream = new ScriptedUpstream(answer, stall);
        upstream.Start();
        return Task.FromResult(upstream);
    }

    protected override async Task ServeAsync(System.Net.Sockets.NetworkStream stream, CancellationToken stop)
    {
        using var reader = new StreamReader(stream, Encoding.Latin1);
        while (!string.IsNullOrEmpty(await reader.ReadLineAsync(stop)))
        {
            // request line and headers; the requests sent here carry no body
        }

        await stream.WriteAsync(_answer, stop);
        if (stall)
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
    }
}
