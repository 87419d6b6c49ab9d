using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Lattice.Gateway.Auth;
using Lattice.Gateway.RateLimiting;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
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
    public async Task RateLimit_BucketsOfCallersIdleForAnHour_AreDropped()
    {
        var time = new ManualTimeProvider();
        var tokens = new SignedTokens();
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/s", () => "ok"));
        var settings = GatewayHost.Route("s", "/api/s", "s", "/v1/s", [upstream.BaseAddress], scope: null)
            .With(tokens.Settings())
            .With("Lattice:Gateway:RateLimit:PermitsPerSecond", "10")
            .With("Lattice:Gateway:RateLimit:Burst", "20");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient();
        var limiter = sut.Services.GetRequiredService<GatewayRateLimiter>();

        async Task CallAsUsersAsync(int first, int count)
        {
            for (var i = first; i < first + count; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/s");
                var expires = time.GetUtcNow().UtcDateTime.AddMinutes(5);
                request.Headers.Authorization = new("Bearer", tokens.Create(null, expires, new Claim("sub", $"user-{i}")));
                Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request, Ct)).StatusCode);
            }
        }

        // One bucket per JWT subject. An hour later each of them is full again (2 s refill a burst of 20 at 10/s): it
        // holds nothing a new bucket would not, and 100 other users come.
        await CallAsUsersAsync(0, 100);
        var afterFirstWave = limiter.BucketCount;
        time.Advance(TimeSpan.FromHours(1));
        await CallAsUsersAsync(100, 100);

        // Before: one bucket per caller ever seen, idle or not (200 here).
        Assert.Equal(100, afterFirstWave);
        Assert.Equal(100, limiter.BucketCount);
    }

    [Fact]
    public async Task RateLimit_BucketsDroppedWhileTheirKeyIsCached_GiveTheCallerNoExtraRequests()
    {
        var time = new ManualTimeProvider();
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/s", () => "ok"));
        var settings = GatewayHost.Route("s", "/api/s", "s", "/v1/s", [upstream.BaseAddress], scope: null)
            .With("Lattice:Gateway:Auth:KeyCacheDuration", "01:00:00");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        var keys = sut.Services.GetRequiredService<ApiKeyService>();
        using var client = sut.CreateClient(await sut.CreateKeyAsync(["predict:s"], permitsPerSecond: 0.001, burst: 2));
        var (other, _) = await keys.CreateAsync("other", ["predict:s"], null, null, null, Ct);
        async Task<HttpStatusCode[]> CallAsync(int times)
        {
            var statuses = new HttpStatusCode[times];
            for (var i = 0; i < times; i++)
            {
                statuses[i] = (await client.GetAsync("/api/s", Ct)).StatusCode;
            }

            return statuses;
        }

        // A token per 1000 s. Exhausted, then two minutes on: 0.12 tokens back, not full, so the sweeps keep the bucket.
        var exhausted = await CallAsync(3);
        time.Advance(TimeSpan.FromMinutes(2));
        var stillExhausted = await CallAsync(1);

        // Forty minutes on it is full and dropped, though the key's cached principal still holds it: it must move to
        // a new bucket rather than keep the old one beside it, or the next principal of the key would get a second burst.
        time.Advance(TimeSpan.FromMinutes(40));
        var refilled = await CallAsync(3);
        await keys.RevokeAsync(other.Id, Ct); // forgets every cached key: the next request makes a new principal
        var afterNewPrincipal = await CallAsync(1);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], exhausted);
        Assert.Equal([HttpStatusCode.TooManyRequests], stillExhausted);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], refilled);
        Assert.Equal([HttpStatusCode.TooManyRequests], afterNewPrincipal);
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
