using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.RateLimiting;

public sealed class RateLimitingTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task RateLimit_BurstExhausted_Returns429WithRetryAfterThenRefills()
    {
        var time = new ManualTimeProvider();
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/s", () => "ok"));
        var settings = GatewayHost.Route("s", "/api/s", "s", "/v1/s", [upstream.BaseAddress], scope: null)
            .With("Lattice:Gateway:RateLimit:PermitsPerSecond", "0.5")
            .With("Lattice:Gateway:RateLimit:Burst", "3");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient(await sut.CreateKeyAsync(["predict:s"]));

        var allowed = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            allowed.Add((await client.GetAsync("/api/s", Ct)).StatusCode);
        }

        var limited = await client.GetAsync("/api/s", Ct);
        var problem = await limited.Content.ReadFromJsonAsync<JsonElement>(Ct);
        time.Advance(TimeSpan.FromSeconds(2));
        var refilled = await client.GetAsync("/api/s", Ct);

        Assert.All(allowed, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(ProblemTypes.TooManyRequests, problem.GetProperty("type").GetString());
        Assert.Equal(TimeSpan.FromSeconds(2), limited.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, refilled.StatusCode);
    }

    [Fact]
    public async Task RateLimit_KeyWithOwnLimit_IsLimitedAloneWhileOthersPass()
    {
        var time = new ManualTimeProvider();
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/s", () => "ok"));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("s", "/api/s", "s", "/v1/s", [upstream.BaseAddress], scope: null), time);
        using var tight = sut.CreateClient(await sut.CreateKeyAsync(["predict:s"], permitsPerSecond: 1, burst: 1));
        using var normal = sut.CreateClient(await sut.CreateKeyAsync(["predict:s"]));

        var first = await tight.GetAsync("/api/s", Ct);
        var second = await tight.GetAsync("/api/s", Ct);
        var other = await normal.GetAsync("/api/s", Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), second.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task ConcurrencyLimit_Full_Returns429NotA503()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/s", async () =>
        {
            entered.TrySetResult();
            await release.Task;
            return "ok";
        }));
        var settings = GatewayHost.Route("s", "/api/s", "s", "/v1/s", [upstream.BaseAddress])
            .With("Lattice:Gateway:MaxConcurrentRequests", "1");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var first = client.GetAsync("/api/s", Ct);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var second = await client.GetAsync("/api/s", Ct);
        release.SetResult();

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
    }
}
