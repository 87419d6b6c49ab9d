using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Lattice.Gateway.Caching;
using Lattice.Gateway.LoadBalancing;
using Lattice.Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Gateway.Tests.Caching;

public sealed class ResponseCacheTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>
    /// A prediction service that counts calls, reports the model version it is told to and, like a Lattice service,
    /// echoes the caller's X-Request-Id (else a fresh id) in its answer; extra answer headers can be set.
    /// </summary>
    private sealed class Predictor
    {
        private int _calls;

        public volatile string Version = "3";

        public volatile Dictionary<string, string> Headers = [];

        public int Calls => Volatile.Read(ref _calls);

        public void Map(WebApplication app)
        {
            app.MapPost("/v1/sentiment", async (HttpContext context) =>
            {
                Interlocked.Increment(ref _calls);
                var text = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
                context.Response.Headers["X-Model-Version"] = Version;
                foreach (var (name, value) in Headers)
                {
                    context.Response.Headers[name] = value;
                }

                var id = context.Request.Headers["X-Request-Id"].FirstOrDefault() ?? Guid.NewGuid().ToString("N");
                if (text.Contains("fail", StringComparison.Ordinal))
                {
                    return Results.Problem("model failed", statusCode: 500);
                }

                return Results.Json(new { label = text.Contains("good", StringComparison.Ordinal) ? "positive" : "negative", version = Version, id });
            });

            // Promises 1000 bytes, sends 10, then drops the connection.
            app.MapPost("/v1/sentiment/broken", async (HttpContext context) =>
            {
                Interlocked.Increment(ref _calls);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 1000;
                await context.Response.Body.WriteAsync("{\"label\":\""u8.ToArray(), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                context.Abort();
            });
        }
    }

    /// <summary>A predictor behind a gateway whose sentiment route caches, and a client; disposed together.</summary>
    private sealed class Rig(Predictor predictor, Lattice.Testing.KestrelApp upstream, GatewayHost gateway) : IAsyncDisposable
    {
        public Predictor Predictor { get; } = predictor;

        public HttpClient Client { get; } = gateway.CreateClient();

        public GatewayHost Gateway { get; } = gateway;

        public static async Task<Rig> StartAsync(TimeProvider? time = null, Dictionary<string, string?>? extra = null, string? scope = "anonymous")
        {
            var predictor = new Predictor();
            var upstream = await Upstreams.StartAsync(predictor.Map);
            var settings = GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/v1/sentiment", [upstream.BaseAddress], scope)
                .With("Lattice:Gateway:Routes:sentiment:Cache", "true")
                .With("Lattice:Gateway:Routes:sentiment:CacheTtl", "00:01:00");
            if (extra is not null)
            {
                settings.With(extra);
            }

            return new Rig(predictor, upstream, await GatewayHost.StartAsync(settings, time));
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Gateway.DisposeAsync();
            await upstream.DisposeAsync();
        }
    }

    private static Task<HttpResponseMessage> PredictAsync(HttpClient client, string text) =>
        client.PostAsJsonAsync("/api/sentiment", new { text }, Ct);

    [Fact]
    public async Task Cache_RepeatPrediction_IsAHitAndSkipsTheUpstream()
    {
        await using var rig = await Rig.StartAsync();
        var (predictor, client) = (rig.Predictor, rig.Client);

        var first = await PredictAsync(client, "good stuff");
        var second = await PredictAsync(client, "good stuff");

        Assert.Equal("lattice; fwd=miss; stored", first.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; hit", second.Headers.GetValues("Cache-Status").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal("application/json; charset=utf-8", second.Content.Headers.ContentType?.ToString());
        Assert.Equal(1, predictor.Calls);
    }

    [Fact]
    public async Task Cache_DifferentBody_IsAMiss()
    {
        await using var rig = await Rig.StartAsync();
        var (predictor, client) = (rig.Predictor, rig.Client);

        await PredictAsync(client, "good stuff");
        var other = await PredictAsync(client, "bad stuff");

        Assert.StartsWith("lattice; fwd=miss", other.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
        Assert.Equal(2, predictor.Calls);
    }

    [Fact]
    public async Task Cache_NewModelVersionReported_OldAnswersAreNotServed()
    {
        await using var rig = await Rig.StartAsync();
        var (predictor, client) = (rig.Predictor, rig.Client);

        await PredictAsync(client, "good stuff");
        predictor.Version = "4";
        await PredictAsync(client, "something else");
        var again = await PredictAsync(client, "good stuff");
        var body = await again.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);

        Assert.StartsWith("lattice; fwd=miss", again.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
        Assert.Equal("4", body.GetProperty("version").GetString());
        Assert.Equal(3, predictor.Calls);
    }

    [Fact]
    public async Task Cache_EntryPastTtl_IsAMiss()
    {
        var time = new ManualTimeProvider();
        await using var rig = await Rig.StartAsync(time);
        var (predictor, client) = (rig.Predictor, rig.Client);

        await PredictAsync(client, "good stuff");
        time.Advance(TimeSpan.FromMinutes(2));
        var later = await PredictAsync(client, "good stuff");

        Assert.StartsWith("lattice; fwd=miss", later.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
        Assert.Equal(2, predictor.Calls);
    }

    [Fact]
    public async Task Cache_ClientSendsNoCache_IsForwarded()
    {
        await using var rig = await Rig.StartAsync();
        var (predictor, client) = (rig.Predictor, rig.Client);

        await PredictAsync(client, "good stuff");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/sentiment") { Content = JsonContent.Create(new { text = "good stuff" }) };
        request.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
        var response = await client.SendAsync(request, Ct);

        Assert.Equal("lattice; fwd=request", response.Headers.GetValues("Cache-Status").Single());
        Assert.Equal(2, predictor.Calls);
    }

    [Fact]
    public async Task Cache_MoreEntriesThanTheBound_EvictsTheOldest()
    {
        await using var rig = await Rig.StartAsync(extra: new() { ["Lattice:Gateway:Cache:MaxEntries"] = "2" });
        var client = rig.Client;

        await PredictAsync(client, "one");
        await PredictAsync(client, "two");
        await PredictAsync(client, "three");
        var newest = await PredictAsync(client, "three");
        var oldest = await PredictAsync(client, "one");

        Assert.Equal("lattice; hit", newest.Headers.GetValues("Cache-Status").Single());
        Assert.StartsWith("lattice; fwd=miss", oldest.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, oldest.StatusCode);
    }

    [Fact]
    public async Task Cache_SameRequestFromAnotherCaller_IsAMissAndGetsItsOwnAnswer()
    {
        await using var rig = await Rig.StartAsync(scope: "predict:sentiment");
        using var alice = rig.Gateway.CreateClient(await rig.Gateway.CreateKeyAsync(["predict:sentiment"]));
        using var bob = rig.Gateway.CreateClient(await rig.Gateway.CreateKeyAsync(["predict:sentiment"]));

        // The same request from both: only the caller differs. The predictor answers each call with a fresh id.
        var first = await alice.PostAsJsonAsync("/api/sentiment", new { text = "good stuff" }, Ct);
        var again = await alice.PostAsJsonAsync("/api/sentiment", new { text = "good stuff" }, Ct);
        var other = await bob.PostAsJsonAsync("/api/sentiment", new { text = "good stuff" }, Ct);
        var alicesId = (await first.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("id").GetString();
        var bobsId = (await other.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("id").GetString();

        Assert.Equal("lattice; fwd=miss; stored", first.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; hit", again.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; fwd=miss; stored", other.Headers.GetValues("Cache-Status").Single());
        Assert.NotEqual(alicesId, bobsId);
        Assert.Equal(2, rig.Predictor.Calls);
    }

    [Fact]
    public async Task Cache_RequestWithARequestId_IsForwardedUncached()
    {
        await using var rig = await Rig.StartAsync();

        var first = await rig.Client.SendAsync(WithRequestId("invoice-4711"), Ct);
        var second = await rig.Client.SendAsync(WithRequestId("invoice-4711"), Ct);
        var plain = await PredictAsync(rig.Client, "good stuff");

        Assert.Equal("lattice; fwd=bypass", first.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; fwd=bypass", second.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; fwd=miss; stored", plain.Headers.GetValues("Cache-Status").Single()); // nothing was stored for them
        Assert.Equal(3, rig.Predictor.Calls);

        static HttpRequestMessage WithRequestId(string id)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/sentiment") { Content = JsonContent.Create(new { text = "good stuff" }) };
            request.Headers.Add("X-Request-Id", id);
            return request;
        }
    }

    [Theory]
    [InlineData("Accept", "application/json", "text/plain")]
    [InlineData("X-Lattice-Route-Key", "user-1", "user-2")]
    [InlineData("Content-Encoding", "identity", "gzip")] // the same bytes mean another body (the service answers 400 to this one)
    public async Task Cache_KeyedRequestHeaderDiffers_IsAMiss(string header, string first, string second)
    {
        await using var rig = await Rig.StartAsync();

        await rig.Client.SendAsync(With(first), Ct);
        var repeat = await rig.Client.SendAsync(With(first), Ct);
        var differing = await rig.Client.SendAsync(With(second), Ct);

        Assert.Equal("lattice; hit", repeat.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; fwd=miss; stored", differing.Headers.GetValues("Cache-Status").Single());
        Assert.Equal(2, rig.Predictor.Calls);

        HttpRequestMessage With(string value)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/sentiment") { Content = JsonContent.Create(new { text = "good stuff" }) };
            if (!request.Headers.TryAddWithoutValidation(header, value))
            {
                request.Content.Headers.TryAddWithoutValidation(header, value); // a content header
            }

            return request;
        }
    }

    [Fact]
    public async Task Cache_Hit_ReplaysTheUpstreamsHeadersAndAddsToItsCacheStatus()
    {
        await using var rig = await Rig.StartAsync();
        rig.Predictor.Headers = new() { ["Content-Language"] = "en", ["X-Lattice-Route"] = "weighted", ["Cache-Status"] = "model-cache; hit" };

        var first = await PredictAsync(rig.Client, "good stuff");
        var hit = await PredictAsync(rig.Client, "good stuff");

        Assert.Equal("model-cache; hit, lattice; fwd=miss; stored", first.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("model-cache; hit, lattice; hit", hit.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("en", hit.Content.Headers.ContentLanguage.Single());
        Assert.Equal("weighted", hit.Headers.GetValues("X-Lattice-Route").Single());
        Assert.Equal("3", hit.Headers.GetValues("X-Model-Version").Single());
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(Ct), await hit.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(1, rig.Predictor.Calls);
    }

    [Theory]
    [InlineData("Vary", "Accept-Language")]
    [InlineData("Vary", "*")]
    [InlineData("Set-Cookie", "session=abc")]
    public async Task Cache_AnswerVaryingOnAnUnkeyedHeaderOrSettingACookie_IsNotStored(string header, string value)
    {
        await using var rig = await Rig.StartAsync();
        rig.Predictor.Headers = new() { [header] = value };

        var first = await PredictAsync(rig.Client, "good stuff");
        var second = await PredictAsync(rig.Client, "good stuff");

        Assert.Equal("lattice; fwd=miss", first.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; fwd=miss", second.Headers.GetValues("Cache-Status").Single());
        Assert.Equal(2, rig.Predictor.Calls);
    }

    [Fact]
    public async Task Cache_AnswerVaryingOnlyOnKeyedHeaders_IsStored()
    {
        await using var rig = await Rig.StartAsync();
        rig.Predictor.Headers = new() { ["Vary"] = "Accept, X-Lattice-Route-Key" };

        await PredictAsync(rig.Client, "good stuff");
        var second = await PredictAsync(rig.Client, "good stuff");

        Assert.Equal("lattice; hit", second.Headers.GetValues("Cache-Status").Single());
    }

    [Fact]
    public async Task Cache_UpstreamBodyBreaksBeforeAnythingWasSent_Is502AndNotStored()
    {
        await using var rig = await Rig.StartAsync();

        var first = await rig.Client.PostAsJsonAsync("/api/sentiment/broken", new { text = "good" }, Ct);
        var second = await rig.Client.PostAsJsonAsync("/api/sentiment/broken", new { text = "good" }, Ct);

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal("application/problem+json", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        Assert.Equal(2, rig.Predictor.Calls);
    }

    [Fact]
    public async Task Cache_UpstreamError_IsNotStored()
    {
        await using var rig = await Rig.StartAsync();

        var first = await PredictAsync(rig.Client, "fail please");
        var second = await PredictAsync(rig.Client, "fail please");

        Assert.Equal(HttpStatusCode.InternalServerError, second.StatusCode);
        Assert.Equal("lattice; fwd=miss", first.Headers.GetValues("Cache-Status").Single());
        Assert.Equal("lattice; fwd=miss", second.Headers.GetValues("Cache-Status").Single());
        Assert.Equal(2, rig.Predictor.Calls);
    }

    [Fact]
    public async Task Cache_MoreBytesThanTheBound_EvictsTheOldest()
    {
        await using var rig = await Rig.StartAsync(extra: new() { ["Lattice:Gateway:Cache:MaxBytes"] = "1024" });
        var cache = rig.Gateway.Services.GetRequiredService<ResponseCache>();

        for (var i = 0; i < 30; i++)
        {
            await PredictAsync(rig.Client, $"text number {i}");
        }

        var newest = await PredictAsync(rig.Client, "text number 29");
        var oldest = await PredictAsync(rig.Client, "text number 0");

        Assert.InRange(cache.Bytes, 1, 1024);
        Assert.InRange(cache.Count, 2, 29);
        Assert.Equal("lattice; hit", newest.Headers.GetValues("Cache-Status").Single());
        Assert.StartsWith("lattice; fwd=miss", oldest.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Cache_OneKeyStoredAgainAfterEachTtl_KeepsNoReplacedBodyReachable()
    {
        const int BodyBytes = 256 * 1024;
        var time = new ManualTimeProvider();
        var options = new ResponseCacheOptions { MaxEntries = 10_000, MaxBytes = 1024 * 1024, MaxEntryBytes = BodyBytes };
        var sut = new ResponseCache(Microsoft.Extensions.Options.Options.Create(options), time);

        // One hot prediction asked again and again: each TTL its entry expires (the lookup drops it) and the next miss
        // stores the fresh answer. 40 bodies of 256 KB go through a cache of 1 MB.
        var bodies = StoreOneKeyRepeatedly(sut, time, times: 40, BodyBytes);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var reachable = bodies.Count(body => body.IsAlive);

        // Before: the eviction queue held every entry, body included, until it outgrew twice MaxEntries.
        Assert.InRange(sut.Bytes, 0, options.MaxBytes);
        Assert.InRange((long)reachable * BodyBytes, 0, options.MaxBytes);
    }

    [Fact]
    public void Cache_EntryReplacedUnderItsKey_StaysUntilItsOwnTurnToBeEvicted()
    {
        var time = new ManualTimeProvider();
        var sut = new ResponseCache(Microsoft.Extensions.Options.Options.Create(new ResponseCacheOptions { MaxEntries = 2 }), time);
        var route = CacheRoute(TimeSpan.FromMinutes(1));
        var first = KeyOf(sut, route, "first");
        var second = KeyOf(sut, route, "second");
        var third = KeyOf(sut, route, "third");

        // "first" is stored, then stored again after "second" (in the same clock tick): its newer entry is younger
        // than "second", so "third" evicts "second", not it.
        sut.Store(route, first, [], null, "1"u8.ToArray());
        sut.Store(route, second, [], null, "2"u8.ToArray());
        sut.Store(route, first, [], null, "1 again"u8.ToArray());
        sut.Store(route, third, [], null, "3"u8.ToArray());

        Assert.Equal("1 again"u8.ToArray(), sut.TryGet(route, first)?.Body);
        Assert.Null(sut.TryGet(route, second));
        Assert.NotNull(sut.TryGet(route, third));
        Assert.Equal(2, sut.Count);
        Assert.Equal("1 again"u8.Length + "3"u8.Length, sut.Bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // the bodies must not outlive this frame in a local
    private static List<WeakReference> StoreOneKeyRepeatedly(ResponseCache cache, ManualTimeProvider time, int times, int bodyBytes)
    {
        var route = CacheRoute(TimeSpan.FromMinutes(1));
        var key = KeyOf(cache, route, "good");
        var bodies = new List<WeakReference>();
        for (var i = 0; i < times; i++)
        {
            Assert.Null(cache.TryGet(route, key)); // expired (or absent): a miss
            var body = new byte[bodyBytes];
            bodies.Add(new WeakReference(body));
            cache.Store(route, key, [], null, body);
            time.Advance(TimeSpan.FromMinutes(2));
        }

        return bodies;
    }

    private static Lattice.Gateway.Auth.KeyHash KeyOf(ResponseCache cache, GatewayRoute route, string text) =>
        cache.KeyOf(route, "POST", "/v1/sentiment", "key:1", new HeaderDictionary(), System.Text.Encoding.UTF8.GetBytes($"{{\"text\":\"{text}\"}}"));

    private static GatewayRoute CacheRoute(TimeSpan ttl) => new()
    {
        Id = "sentiment",
        PathPrefix = "/api/sentiment",
        UpstreamPathPrefix = "/v1/sentiment",
        Service = "sentiment",
        RequiredScope = null,
        Timeout = TimeSpan.FromSeconds(30),
        MaxRequestBodyBytes = 1024 * 1024,
        Cache = true,
        CacheTtl = ttl,
        Cluster = new UpstreamCluster("sentiment", static (_, address) => new Replica(address)),
        ActivityName = "gateway.upstream sentiment",
    };
}
