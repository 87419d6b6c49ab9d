using System.Net;
using Lattice.ServiceDefaults.Http;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;

namespace Lattice.ServiceDefaults.Tests.Http;

public sealed class ResilienceTests
{
    /// <summary>A real upstream whose behaviour the test switches while it runs.</summary>
    private sealed class FlakyUpstream
    {
        private int _calls;

        public volatile int FailuresLeft;

        public volatile bool AlwaysFail;

        public int Calls => Volatile.Read(ref _calls);

        public IResult Handle()
        {
            Interlocked.Increment(ref _calls);
            if (AlwaysFail)
            {
                return Results.StatusCode(StatusCodes.Status500InternalServerError);
            }

            return Interlocked.Decrement(ref FailuresLeft) >= 0
                ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ok");
        }
    }

    private static async Task<(KestrelApp Upstream, KestrelApp Caller, FlakyUpstream Behaviour)> StartAsync(
        Dictionary<string, string?>? callerSettings = null)
    {
        var behaviour = new FlakyUpstream();
        var upstream = await TestApps.StartAsync(app =>
        {
            app.MapGet("/work", behaviour.Handle);
            app.MapPost("/work", behaviour.Handle);
        });
        var settings = callerSettings ?? [];
        settings["Services:flaky:Urls"] = upstream.BaseAddress.ToString();
        var caller = await TestApps.StartAsync(_ => { }, settings: settings);
        return (upstream, caller, behaviour);
    }

    /// <summary>
    /// One call through the caller's client to the upstream's health endpoint, so that a test's 100 ms timeouts
    /// measure the upstream's handler, not the first call's JIT and connection setup on a loaded machine.
    /// </summary>
    private static async Task WarmAsync(HttpClient client, string service)
    {
        using var warm = new HttpRequestMessage(HttpMethod.Get, $"http://{service}/health/live")
            .WithTimeouts(attemptTimeout: TimeSpan.FromSeconds(30), totalTimeout: TimeSpan.FromSeconds(30));
        (await client.SendAsync(warm, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Get_UpstreamFailsTwiceThenSucceeds_RetriesAndReturns200()
    {
        var (upstream, caller, behaviour) = await StartAsync();
        await using var _ = upstream;
        await using var __ = caller;
        behaviour.FailuresLeft = 2;
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        var response = await client.GetAsync("http://flaky/work", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, behaviour.Calls);
    }

    [Fact]
    public async Task Send_RequestOwnTimeoutsLongerThanDefaults_HoldAndCallOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = 0;
        await using var upstream = await TestApps.StartAsync(app => app.MapPost("/slow", async (HttpContext context) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(TimeSpan.FromMilliseconds(400), context.RequestAborted);
            return Results.Text("ok");
        }));
        await using var caller = await TestApps.StartAsync(_ => { }, settings: new Dictionary<string, string?>
        {
            ["Services:slow:Urls"] = upstream.BaseAddress.ToString(),
            ["Lattice:Http:Resilience:AttemptTimeout"] = "00:00:00.100",
            ["Lattice:Http:Resilience:TotalTimeout"] = "00:00:00.250",
        });
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        using var withOwnBudget = new HttpRequestMessage(HttpMethod.Post, "http://slow/slow");
        withOwnBudget.MarkSafeToRetry().WithTimeouts(attemptTimeout: TimeSpan.FromSeconds(20), totalTimeout: TimeSpan.FromSeconds(20));

        var response = await client.SendAsync(withOwnBudget, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Volatile.Read(ref calls));

        // Other requests keep the configured defaults.
        using var withDefaults = new HttpRequestMessage(HttpMethod.Post, "http://slow/slow");
        await Assert.ThrowsAsync<Polly.Timeout.TimeoutRejectedException>(() => client.SendAsync(withDefaults, ct));
    }

    [Fact]
    public async Task DefaultClient_UpstreamSetsCookieAndRedirects_NeitherCookieKeptNorRedirectFollowed()
    {
        var ct = TestContext.Current.CancellationToken;
        var cookiesSeen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = await TestApps.StartAsync(app =>
        {
            app.MapGet("/login", (HttpContext context) =>
            {
                context.Response.Headers.SetCookie = "session=abc; Path=/";
                return Results.Text("ok");
            });
            app.MapGet("/echo", (HttpContext context) =>
            {
                cookiesSeen.Enqueue(context.Request.Headers.Cookie.ToString());
                return Results.Text("ok");
            });
            app.MapPost("/moved", () => Results.Redirect("/echo"));
        });
        await using var caller = await TestApps.StartAsync(_ => { }, settings: new Dictionary<string, string?>
        {
            ["Services:up:Urls"] = upstream.BaseAddress.ToString(),
            // A cold upstream on a loaded machine must not turn the unretried POST into an attempt timeout.
            ["Lattice:Http:Resilience:AttemptTimeout"] = "00:00:30",
            ["Lattice:Http:Resilience:TotalTimeout"] = "00:01:00",
            ["Lattice:Http:Resilience:BreakerSamplingDuration"] = "00:00:30",
        });
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        (await client.GetAsync("http://up/login", ct)).EnsureSuccessStatusCode();
        (await client.GetAsync("http://up/echo", ct)).EnsureSuccessStatusCode();
        var moved = await client.PostAsync("http://up/moved", new StringContent("{}"), ct);

        Assert.Equal(string.Empty, Assert.Single(cookiesSeen));
        Assert.Equal(HttpStatusCode.Redirect, moved.StatusCode);
    }

    [Fact]
    public async Task Post_NotMarkedSafe_IsNotRetried()
    {
        var (upstream, caller, behaviour) = await StartAsync();
        await using var _ = upstream;
        await using var __ = caller;
        behaviour.FailuresLeft = 2;
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        var response = await client.PostAsync("http://flaky/work", new StringContent("x"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, behaviour.Calls);
    }

    [Fact]
    public async Task Post_MarkedSafe_IsRetriedWithItsBody()
    {
        var (upstream, caller, behaviour) = await StartAsync();
        await using var _ = upstream;
        await using var __ = caller;
        behaviour.FailuresLeft = 1;
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://flaky/work") { Content = new StringContent("{}") };
        request.MarkSafeToRetry();

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, behaviour.Calls);
    }

    [Fact]
    public async Task Post_MarkedSafeWithABodyThatCannotBeSentTwice_PassesTheFailureOnWithoutRetrying()
    {
        var (upstream, caller, behaviour) = await StartAsync();
        await using var _ = upstream;
        await using var __ = caller;
        behaviour.FailuresLeft = 1;
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://flaky/work")
        {
            Content = new StreamContent(new ForwardOnlyStream("{}"u8.ToArray())),
        };
        request.MarkSafeToRetry();

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        // A retry would find the stream already read: the caller must get the upstream's answer, not that error.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, behaviour.Calls);
    }

    /// <summary>A request body read once from its source, like a proxied request's body.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Breaker_UpstreamKeepsFailing_OpensThenClosesAfterRecovery()
    {
        var (upstream, caller, behaviour) = await StartAsync(new Dictionary<string, string?>
        {
            ["Lattice:Http:Resilience:MaxRetryAttempts"] = "0",
            ["Lattice:Http:Resilience:BreakerMinimumThroughput"] = "4",
            ["Lattice:Http:Resilience:BreakerFailureRatio"] = "0.5",
            ["Lattice:Http:Resilience:BreakerSamplingDuration"] = "00:00:10",
            ["Lattice:Http:Resilience:BreakerDuration"] = "00:00:00.500",
        });
        await using var _ = upstream;
        await using var __ = caller;
        var ct = TestContext.Current.CancellationToken;
        behaviour.AlwaysFail = true;
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        var breakers = caller.Services.GetRequiredService<UpstreamCircuitBreakers>();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await client.GetAsync("http://flaky/work", ct)).StatusCode);
        }

        var callsWhenOpened = behaviour.Calls;
        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.GetAsync("http://flaky/work", ct));
        Assert.Equal(CircuitState.Open, breakers.StateOf(upstream.BaseAddress));
        Assert.Equal(callsWhenOpened, behaviour.Calls);

        behaviour.AlwaysFail = false;
        await Task.Delay(TimeSpan.FromMilliseconds(700), ct);
        var recovered = await client.GetAsync("http://flaky/work", ct);

        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(CircuitState.Closed, breakers.StateOf(upstream.BaseAddress));
    }

    [Fact]
    public async Task Breaker_AttemptAndTotalTimeoutsEqual_TimeoutsCountAndOpenTheCircuit()
    {
        // A caller whose whole budget is one attempt (the orchestrator's steps): its timeouts must reach the
        // breaker as timeouts. A separate total-timeout timer due at the same moment used to win the race, and the
        // breaker saw a plain cancellation it does not count.
        var calls = 0;
        await using var hung = await TestApps.StartAsync(app => app.MapGet("/hang", async (CancellationToken token) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(Timeout.Infinite, token);
            return "never";
        }));
        await using var caller = await TestApps.StartAsync(_ => { }, settings: new Dictionary<string, string?>
        {
            ["Services:hung:Urls"] = hung.BaseAddress.ToString(),
            ["Lattice:Http:Resilience:BreakerMinimumThroughput"] = "4",
            ["Lattice:Http:Resilience:BreakerSamplingDuration"] = "00:00:30",
            ["Lattice:Http:Resilience:BreakerDuration"] = "00:00:30",
        });
        var ct = TestContext.Current.CancellationToken;
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        await WarmAsync(client, "hung");
        HttpRequestMessage Request() => new HttpRequestMessage(HttpMethod.Get, "http://hung/hang")
            .WithTimeouts(attemptTimeout: TimeSpan.FromMilliseconds(100), totalTimeout: TimeSpan.FromMilliseconds(100));

        // Every call times out until enough have been seen (the warm-up call counts too), then the circuit is open.
        var timeouts = 0;
        while (true)
        {
            using var request = Request();
            var error = await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(request, ct));
            if (error is BrokenCircuitException)
            {
                break;
            }

            Assert.IsType<Polly.Timeout.TimeoutRejectedException>(error);
            Assert.True(++timeouts < 10, "10 timed-out calls and the circuit is still closed");
        }

        var callsWhenOpened = Volatile.Read(ref calls);
        using var rejected = Request();
        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.SendAsync(rejected, ct));
        Assert.Equal(CircuitState.Open, caller.Services.GetRequiredService<UpstreamCircuitBreakers>().StateOf(hung.BaseAddress));
        Assert.Equal(callsWhenOpened, Volatile.Read(ref calls));
    }

    [Theory]
    // One retry allowed: two 100 ms attempts, then the last attempt's timeout is the answer.
    [InlineData("1", "00:00:10", 2, 2)]
    // Eight retries allowed in a 250 ms budget: 100 ms attempts with short delays, the third gets what is left of the
    // total timeout, and no attempt starts after it. (At least one call: on a loaded machine a retry can still be on its
    // way when the budget ends; the bound that matters is the upper one.)
    [InlineData("8", "00:00:00.250", 1, 3)]
    public async Task AttemptTimeout_SlowUpstream_IsRetriedWithinTheTotalTimeoutThenGivesUp(string maxRetries, string totalTimeout, int minCalls, int maxCalls)
    {
        var calls = 0;
        await using var slow = await TestApps.StartAsync(app => app.MapGet("/slow", async (CancellationToken token) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(TimeSpan.FromSeconds(5), token);
            return "late";
        }));
        await using var caller = await TestApps.StartAsync(_ => { }, settings: new Dictionary<string, string?>
        {
            ["Services:slow:Urls"] = slow.BaseAddress.ToString(),
            ["Lattice:Http:Resilience:AttemptTimeout"] = "00:00:00.100",
            ["Lattice:Http:Resilience:TotalTimeout"] = totalTimeout,
            ["Lattice:Http:Resilience:MaxRetryAttempts"] = maxRetries,
        });
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        await WarmAsync(client, "slow");

        await Assert.ThrowsAsync<Polly.Timeout.TimeoutRejectedException>(
            () => client.GetAsync("http://slow/slow", TestContext.Current.CancellationToken));
        Assert.InRange(Volatile.Read(ref calls), minCalls, maxCalls);
    }

    [Fact]
    public async Task RetryAfter_LongerThanTheCallHasLeft_AnswerPassedOnWithoutWaiting()
    {
        var calls = 0;
        await using var busy = await TestApps.StartAsync(app => app.MapGet("/busy", (HttpContext context) =>
        {
            Interlocked.Increment(ref calls);
            context.Response.Headers.RetryAfter = "1";
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }));
        await using var caller = await TestApps.StartAsync(_ => { }, settings: new Dictionary<string, string?>
        {
            ["Services:busy:Urls"] = busy.BaseAddress.ToString(),
            ["Lattice:Http:Resilience:AttemptTimeout"] = "00:00:00.500",
            ["Lattice:Http:Resilience:TotalTimeout"] = "00:00:00.500",
            ["Lattice:Http:Resilience:BreakerSamplingDuration"] = "00:00:30",
        });
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        await WarmAsync(client, "busy");

        var response = await client.GetAsync("http://busy/busy", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    /// <summary>The system's clock moved by an offset: what the service's TimeProvider says the date is.</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    [Fact]
    public async Task RetryAfterDate_IsReadAgainstTheServicesClock()
    {
        // The upstream asks for a pause until a date ten minutes ahead of the system clock. The caller's clock (its
        // TimeProvider) is an hour ahead, so for it the date has passed: retry at once, and the second attempt succeeds.
        var calls = 0;
        var until = DateTimeOffset.UtcNow.AddMinutes(10);
        await using var busy = await TestApps.StartAsync(app => app.MapGet("/busy", (HttpContext context) =>
        {
            if (Interlocked.Increment(ref calls) > 1)
            {
                return Results.Text("ok");
            }

            context.Response.Headers.RetryAfter = until.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }));
        await using var caller = await TestApps.StartAsync(
            _ => { },
            builder => builder.Services.AddSingleton<TimeProvider>(new ShiftedClock(TimeSpan.FromHours(1))),
            new Dictionary<string, string?> { ["Services:busy:Urls"] = busy.BaseAddress.ToString() });
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        var response = await client.GetAsync("http://busy/busy", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Backoff_LongerThanTheCallHasLeft_AnswerPassedOnInsteadOfATimeout()
    {
        // The backoff (at least 30 s from a 1 min base) cannot fit in the call's 500 ms: waiting out the rest of the
        // call to start no attempt, and answering a timeout, loses the upstream's answer.
        var (upstream, caller, behaviour) = await StartAsync(new Dictionary<string, string?>
        {
            ["Lattice:Http:Resilience:RetryBaseDelay"] = "00:01:00",
        });
        await using var _ = upstream;
        await using var __ = caller;
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        await WarmAsync(client, "flaky");
        behaviour.FailuresLeft = 1;
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://flaky/work")
            .WithTimeouts(attemptTimeout: TimeSpan.FromMilliseconds(500), totalTimeout: TimeSpan.FromMilliseconds(500));

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, behaviour.Calls);
    }

    [Fact]
    public async Task Options_TotalTimeoutShorterThanAttempt_FailsAtStart()
    {
        var error = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestApps.StartAsync(
            _ => { },
            settings: new Dictionary<string, string?>
            {
                ["Lattice:Http:Resilience:AttemptTimeout"] = "00:00:05",
                ["Lattice:Http:Resilience:TotalTimeout"] = "00:00:01",
            }));

        Assert.Contains("TotalTimeout", error.Message, StringComparison.Ordinal);
    }
}
