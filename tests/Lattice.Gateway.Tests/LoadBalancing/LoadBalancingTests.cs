using System.Net;
using System.Net.Http.Json;
using Lattice.Gateway.LoadBalancing;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Polly.CircuitBreaker;

namespace Lattice.Gateway.Tests.LoadBalancing;

public sealed class LoadBalancingTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>Replicas that count their calls and fail (with <see cref="FailureStatus"/>, 500 by default) while told to.</summary>
    private sealed class Replicas : IAsyncDisposable
    {
        private readonly int[] _calls;

        private Replicas(KestrelApp[] apps, int[] calls, bool[] failing)
        {
            Apps = apps;
            _calls = calls;
            Failing = failing;
        }

        public KestrelApp[] Apps { get; }

        public bool[] Failing { get; }

        public int FailureStatus { get; set; } = 500;

        public Uri[] Addresses => [.. Apps.Select(a => a.BaseAddress)];

        public int Calls(int replica) => Volatile.Read(ref _calls[replica]);

        public static async Task<Replicas> StartAsync(int count)
        {
            var calls = new int[count];
            var failing = new bool[count];
            Replicas? replicas = null;
            var apps = await Upstreams.StartManyAsync(count, i => app => app.Map("/{**path}", async (HttpContext context) =>
            {
                if (context.Request.Path.StartsWithSegments("/health"))
                {
                    return Results.Ok();
                }

                Interlocked.Increment(ref calls[i]);
                await Task.Yield();
                return Volatile.Read(ref failing[i]) ? Results.StatusCode(replicas!.FailureStatus) : Results.Text($"replica {i}");
            }));
            replicas = new Replicas(apps, calls, failing);
            return replicas;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var app in Apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Balance_ThreeReplicas_SpreadsTheLoad()
    {
        await using var replicas = await Replicas.StartAsync(3);
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("s", "/api/s", "s", "/", replicas.Addresses));
        using var client = sut.CreateClient();

        await Parallel.ForAsync(0, 300, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (_, token) =>
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/s", token)).StatusCode));

        Assert.Equal(300, replicas.Calls(0) + replicas.Calls(1) + replicas.Calls(2));
        Assert.All(Enumerable.Range(0, 3), i => Assert.InRange(replicas.Calls(i), 50, 200));
    }

    [Fact]
    public async Task Outlier_FailingReplica_IsEjectedThenReadmitted()
    {
        var time = new ManualTimeProvider();
        await using var replicas = await Replicas.StartAsync(3);
        var settings = GatewayHost.Route("s", "/api/s", "s", "/", replicas.Addresses)
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "3")
            .With("Lattice:Gateway:LoadBalancing:BaseEjectionTime", "00:00:30")
            .With("Lattice:Gateway:LoadBalancing:BreakerMinimumThroughput", "10000")
            .With("Lattice:Gateway:MaxRetries", "0");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient();
        replicas.Failing[1] = true;

        // POST is not retried, so the failing replica's 500s reach the client until it is ejected.
        await PostUntilEjectedAsync(client, sut, 1, replicas, time);

        var callsAtEjection = replicas.Calls(1);
        var whileEjected = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            whileEjected.Add((await client.PostAsync("/api/s", new StringContent("x"), Ct)).StatusCode);
        }

        replicas.Failing[1] = false;
        time.Advance(TimeSpan.FromSeconds(31));
        for (var i = 0; i < 60 && replicas.Calls(1) == callsAtEjection; i++)
        {
            await client.PostAsync("/api/s", new StringContent("x"), Ct);
        }

        Assert.Equal(3, callsAtEjection);
        Assert.All(whileEjected, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.True(replicas.Calls(1) > callsAtEjection, "The replica was not readmitted after its ejection time.");
    }

    [Fact]
    public async Task Outlier_ReplicaEjectedAgain_StaysOutLongerEachTime()
    {
        var time = new ManualTimeProvider();
        await using var replicas = await Replicas.StartAsync(3);
        var settings = GatewayHost.Route("s", "/api/s", "s", "/", replicas.Addresses)
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "2")
            .With("Lattice:Gateway:LoadBalancing:BaseEjectionTime", "00:00:30")
            .With("Lattice:Gateway:LoadBalancing:MaxEjectionTime", "00:01:10")
            .With("Lattice:Gateway:LoadBalancing:BreakerMinimumThroughput", "10000")
            .With("Lattice:Gateway:MaxRetries", "0");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient();
        replicas.Failing[1] = true;

        // The replica keeps failing: each time it is back in rotation it is ejected again, for 30, 60, then 70 s (capped).
        var durations = new List<TimeSpan>();
        for (var ejection = 0; ejection < 3; ejection++)
        {
            await PostUntilEjectedAsync(client, sut, 1, replicas, time);

            var replica = Replica(sut, 1, replicas);
            var now = time.GetUtcNow().UtcTicks;
            durations.Add(TimeSpan.FromTicks(replica.EjectedUntil - now));
            time.Advance(TimeSpan.FromTicks(replica.EjectedUntil - now + 1));
        }

        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(70)], durations);
    }

    [Fact]
    public async Task Outlier_ManyReplicasFailing_EjectsAtMostMaxEjectionPercent()
    {
        var time = new ManualTimeProvider();
        await using var replicas = await Replicas.StartAsync(5);
        var settings = GatewayHost.Route("s", "/api/s", "s", "/", replicas.Addresses)
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "2")
            .With("Lattice:Gateway:LoadBalancing:MaxEjectionPercent", "40")
            .With("Lattice:Gateway:LoadBalancing:BreakerMinimumThroughput", "10000")
            .With("Lattice:Gateway:MaxRetries", "0");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            replicas.Failing[i] = true;
        }

        for (var i = 0; i < 80; i++)
        {
            await client.PostAsync("/api/s", new StringContent("x"), Ct);
        }

        var ejected = Enumerable.Range(0, 5).Count(i => IsEjected(sut, i, replicas, time));
        Assert.Equal(2, ejected); // 40 % of 5
        Assert.False(IsEjected(sut, 4, replicas, time));
    }

    [Fact]
    public async Task Outlier_EveryReplicaFailing_NeverEjectsTheLastOne()
    {
        var time = new ManualTimeProvider();
        await using var replicas = await Replicas.StartAsync(2);
        var settings = GatewayHost.Route("s", "/api/s", "s", "/", replicas.Addresses)
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "2")
            .With("Lattice:Gateway:LoadBalancing:MaxEjectionPercent", "100")
            .With("Lattice:Gateway:LoadBalancing:BreakerMinimumThroughput", "10000");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient();
        replicas.Failing[0] = replicas.Failing[1] = true;

        for (var i = 0; i < 20; i++)
        {
            await client.PostAsync("/api/s", new StringContent("x"), Ct);
        }

        var ejected = Enumerable.Range(0, 2).Count(i => IsEjected(sut, i, replicas, time));
        Assert.Equal(1, ejected);
    }

    [Fact]
    public async Task Breaker_ReplicaFails_OpensThenHalfOpensThenCloses()
    {
        var time = new ManualTimeProvider();
        var gate = new SemaphoreSlim(0);
        var failing = true;
        var gated = false;
        await using var upstream = await Upstreams.StartAsync(app => app.MapPost("/work", async () =>
        {
            if (Volatile.Read(ref gated))
            {
                await gate.WaitAsync(TimeSpan.FromSeconds(20));
            }

            return Volatile.Read(ref failing) ? Results.StatusCode(500) : Results.Text("ok");
        }));
        var settings = GatewayHost.Route("s", "/api/s", "s", "/work", [upstream.BaseAddress])
            .With("Lattice:Gateway:LoadBalancing:BreakerMinimumThroughput", "4")
            .With("Lattice:Gateway:LoadBalancing:BreakerFailureRatio", "0.5")
            .With("Lattice:Gateway:LoadBalancing:BreakerDuration", "00:00:05")
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1000");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient();
        var replica = () => sut.Services.GetRequiredService<ClusterRegistry>().GetOrAdd("s").Replicas[0];

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await client.PostAsync("/api/s", new StringContent("x"), Ct)).StatusCode);
        }

        var whileOpen = await client.PostAsync("/api/s", new StringContent("x"), Ct);
        var stateWhenOpen = replica().CircuitState;

        Volatile.Write(ref failing, false);
        Volatile.Write(ref gated, true);
        time.Advance(TimeSpan.FromSeconds(6));
        var probe = client.PostAsync("/api/s", new StringContent("x"), Ct);
        await WaitUntilAsync(() => replica().CircuitState == CircuitState.HalfOpen);
        var stateWhileProbing = replica().CircuitState;
        gate.Release();
        var probed = await probe;
        Volatile.Write(ref gated, false);
        var afterwards = await client.PostAsync("/api/s", new StringContent("x"), Ct);

        Assert.Equal(CircuitState.Open, stateWhenOpen);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, whileOpen.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), whileOpen.Headers.RetryAfter?.Delta); // the break left, not a fixed 1 s
        Assert.Equal(CircuitState.HalfOpen, stateWhileProbing);
        Assert.Equal(HttpStatusCode.OK, probed.StatusCode);
        Assert.Equal(CircuitState.Closed, replica().CircuitState);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Fact]
    public async Task Breaker_HalfOpenProbeAbandonedByTheClient_OpensAgainAndProbesAfterTheBreak()
    {
        var time = new ManualTimeProvider();
        var script = new ScriptedReplica();
        await using var upstream = await Upstreams.StartAsync(script.Map);
        await using var sut = await GatewayHost.StartAsync(BreakerSettings(upstream.BaseAddress), time);
        using var client = sut.CreateClient();
        var replica = () => sut.Services.GetRequiredService<ClusterRegistry>().GetOrAdd("s").Replicas[0];
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await client.PostAsync("/api/s", new StringContent("x"), Ct)).StatusCode);
        }

        var stateWhenOpen = replica().CircuitState;

        // Still broken, now by hanging: the probe never gets an answer, and its client gives up first (the route's
        // 30 s never pass on this clock). The probe proved nothing, so the circuit must not close.
        script.Behaviour = Behaviour.Hang;
        time.Advance(TimeSpan.FromSeconds(6));
        var stateWhileProbing = await AbandonCallAsync(client, script, replica);
        var stateAfterAbandonedProbe = replica().CircuitState;

        // The replica recovers; its circuit, open again, lets the next probe through only after another break.
        script.Behaviour = Behaviour.Answer;
        var whileOpenAgain = await client.PostAsync("/api/s", new StringContent("x"), Ct);
        time.Advance(TimeSpan.FromSeconds(6));
        var nextProbe = await client.PostAsync("/api/s", new StringContent("x"), Ct);

        Assert.Equal(CircuitState.Open, stateWhenOpen);
        Assert.Equal(CircuitState.HalfOpen, stateWhileProbing);
        Assert.Equal(CircuitState.Open, stateAfterAbandonedProbe);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, whileOpenAgain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, nextProbe.StatusCode);
        Assert.Equal(CircuitState.Closed, replica().CircuitState);
    }

    [Fact]
    public async Task Breaker_CallsAbandonedByTheirClients_NeitherCountAsFailuresNorDiluteThem()
    {
        var time = new ManualTimeProvider();
        var script = new ScriptedReplica { Behaviour = Behaviour.Hang };
        await using var upstream = await Upstreams.StartAsync(script.Map);
        await using var sut = await GatewayHost.StartAsync(BreakerSettings(upstream.BaseAddress), time);
        using var client = sut.CreateClient();
        var replica = () => sut.Services.GetRequiredService<ClusterRegistry>().GetOrAdd("s").Replicas[0];

        for (var i = 0; i < 6; i++)
        {
            await AbandonCallAsync(client, script, replica);
        }

        var stateAfterAbandonedCalls = replica().CircuitState;
        script.Behaviour = Behaviour.Fail;
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await client.PostAsync("/api/s", new StringContent("x"), Ct)).StatusCode);
        }

        // Six abandoned calls are no failures (they would open the circuit on their own), nor successes: the four
        // failures are four of four verdicts, not four of ten attempts (under the 0.5 ratio, the circuit stayed closed).
        Assert.Equal(CircuitState.Closed, stateAfterAbandonedCalls);
        Assert.Equal(CircuitState.Open, replica().CircuitState);
    }

    [Fact]
    public async Task Retry_PostToDeadReplica_GoesToAnotherReplica()
    {
        await using var replicas = await Replicas.StartAsync(1);
        var settings = GatewayHost.Route("s", "/api/s", "s", "/", [GatewayHost.DeadAddress(), replicas.Addresses[0]])
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1000");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            statuses.Add((await client.PostAsJsonAsync("/api/s", new { text = "x" }, Ct)).StatusCode);
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(20, replicas.Calls(0));
    }

    [Fact]
    public async Task Retry_PostAnswered500_IsNotRepeated()
    {
        await using var replicas = await Replicas.StartAsync(2);
        replicas.Failing[0] = replicas.Failing[1] = true;
        var settings = GatewayHost.Route("s", "/api/s", "s", "/", replicas.Addresses)
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1000");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var response = await client.PostAsJsonAsync("/api/s", new { text = "x" }, Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, replicas.Calls(0) + replicas.Calls(1));
    }

    [Fact]
    public async Task Retry_IdempotentRequestAnswered503_GoesToAnotherReplicaButAPostDoesNot()
    {
        await using var replicas = await Replicas.StartAsync(2);
        replicas.FailureStatus = 503;
        replicas.Failing[0] = true;
        var settings = GatewayHost.Route("s", "/api/s", "s", "/", replicas.Addresses)
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1000")
            .With("Lattice:Gateway:LoadBalancing:BreakerMinimumThroughput", "10000");
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var gets = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            gets.Add((await client.GetAsync("/api/s", Ct)).StatusCode);
        }

        var callsBeforePosts = replicas.Calls(0) + replicas.Calls(1);
        var posts = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            posts.Add((await client.PostAsJsonAsync("/api/s", new { text = "x" }, Ct)).StatusCode);
        }

        Assert.All(gets, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.True(replicas.Calls(0) > 0, "The balancer never tried the failing replica, so nothing was retried.");
        Assert.Contains(HttpStatusCode.ServiceUnavailable, posts);
        Assert.Equal(20, replicas.Calls(0) + replicas.Calls(1) - callsBeforePosts); // one attempt per POST
    }

    [Fact]
    public async Task HealthCheck_ReplicaNotReady_LeavesRotationAndReturns()
    {
        var ready = new[] { true, true };
        var calls = new int[2];
        var apps = await Upstreams.StartManyAsync(2, i => app =>
        {
            app.MapGet("/health/ready", () => Volatile.Read(ref ready[i]) ? Results.Ok() : Results.StatusCode(503));
            app.MapGet("/work", () =>
            {
                Interlocked.Increment(ref calls[i]);
                return "ok";
            });
        });
        await using var first = apps[0];
        await using var second = apps[1];
        var settings = GatewayHost.Route("s", "/api/s", "s", "/work", [first.BaseAddress, second.BaseAddress])
            .With("Lattice:Gateway:LoadBalancing:UnhealthyThreshold", "2");
        await using var sut = await GatewayHost.StartAsync(settings, new ManualTimeProvider());
        using var client = sut.CreateClient();
        var checker = sut.Services.GetServices<IHostedService>().OfType<ActiveHealthChecker>().Single();
        // The checker probes once at start; a late answer of that round would undo the failures probed below.
        var cluster = sut.Services.GetRequiredService<ClusterRegistry>().GetOrAdd("s");
        await WaitUntilAsync(() => cluster.Replicas is { Length: 2 } replicas && replicas.All(r => r.HealthCheckSuccesses > 0));

        ready[1] = false;
        await checker.ProbeAllAsync(Ct);
        await checker.ProbeAllAsync(Ct);
        for (var i = 0; i < 20; i++)
        {
            await client.GetAsync("/api/s", Ct);
        }

        var callsWhileUnhealthy = Volatile.Read(ref calls[1]);
        ready[1] = true;
        await checker.ProbeAllAsync(Ct);
        for (var i = 0; i < 40 && Volatile.Read(ref calls[1]) == 0; i++)
        {
            await client.GetAsync("/api/s", Ct);
        }

        Assert.Equal(0, callsWhileUnhealthy);
        Assert.True(Volatile.Read(ref calls[1]) > 0, "The replica did not return after passing its health check.");
    }

    /// <summary>One replica whose circuit opens after 4 attempts at half of them failed, for 5 s; never ejected.</summary>
    private static Dictionary<string, string?> BreakerSettings(Uri replica) =>
        GatewayHost.Route("s", "/api/s", "s", "/work", [replica])
            .With("Lattice:Gateway:LoadBalancing:BreakerMinimumThroughput", "4")
            .With("Lattice:Gateway:LoadBalancing:BreakerFailureRatio", "0.5")
            .With("Lattice:Gateway:LoadBalancing:BreakerDuration", "00:00:05")
            .With("Lattice:Gateway:LoadBalancing:ConsecutiveFailures", "1000");

    /// <summary>
    /// Sends a POST the replica holds, gives up on it once it arrived, and returns when the gateway is done with it
    /// (the replica has no request in flight); the answer is the circuit's state while the call hung.
    /// </summary>
    private static async Task<CircuitState> AbandonCallAsync(HttpClient client, ScriptedReplica script, Func<Replica> replica)
    {
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = client.PostAsync("/api/s", new StringContent("x"), giveUp.Token);
        Assert.True(await script.Hanging.WaitAsync(TimeSpan.FromSeconds(10), Ct), "The call never reached the replica.");
        var state = replica().CircuitState;
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await WaitUntilAsync(() => replica().Outstanding == 0);
        Assert.Equal(0, replica().Outstanding);
        return state;
    }

    private enum Behaviour
    {
        Fail,
        Hang,
        Answer,
    }

    /// <summary>
    /// A replica's POST /work as the test says: 500, a hang until the gateway gives up on the call (each such call is
    /// counted on <see cref="Hanging"/> when it arrives), or 200.
    /// </summary>
    private sealed class ScriptedReplica
    {
        private volatile Behaviour _behaviour;

        public Behaviour Behaviour
        {
            get => _behaviour;
            set => _behaviour = value;
        }

        public SemaphoreSlim Hanging { get; } = new(0);

        public void Map(WebApplication app) => app.MapPost("/work", async (HttpContext context) =>
        {
            switch (Behaviour)
            {
                case Behaviour.Fail:
                    return Results.StatusCode(500);
                case Behaviour.Answer:
                    return Results.Text("ok");
                default:
                    Hanging.Release();
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    return Results.StatusCode(500);
            }
        });
    }

    /// <summary>POSTs (never retried, so each failure counts) until replica <paramref name="index"/> is ejected, at most 60 times.</summary>
    private static async Task PostUntilEjectedAsync(HttpClient client, GatewayHost sut, int index, Replicas replicas, TimeProvider time)
    {
        for (var i = 0; i < 60 && !IsEjected(sut, index, replicas, time); i++)
        {
            await client.PostAsync("/api/s", new StringContent("x"), Ct);
        }
    }

    private static bool IsEjected(GatewayHost sut, int index, Replicas replicas, TimeProvider time) =>
        FindReplica(sut, index, replicas)?.IsEjected(time.GetUtcNow().UtcTicks) ?? false;

    private static Replica Replica(GatewayHost sut, int index, Replicas replicas) =>
        FindReplica(sut, index, replicas) ?? throw new InvalidOperationException("The service's replicas were not resolved yet.");

    // Null until the first request (or health round) resolved the service's replicas.
    private static Replica? FindReplica(GatewayHost sut, int index, Replicas replicas) =>
        sut.Services.GetRequiredService<ClusterRegistry>().GetOrAdd("s").Replicas.SingleOrDefault(r => r.Address == replicas.Addresses[index]);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25, Ct);
        }
    }
}
