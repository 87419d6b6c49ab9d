using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Caching;

public sealed class ResponseCacheTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>A prediction service that counts calls and reports the model version it is told to.</summary>
    private sealed class Predictor
    {
        private int _calls;

        public volatile string Version = "3";

        public int Calls => Volatile.Read(ref _calls);

        public void Map(WebApplication app) => app.MapPost("/v1/sentiment", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _calls);
            var text = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
            context.Response.Headers["X-Model-Version"] = Version;
            return Results.Json(new { label = text.Contains("good", StringComparison.Ordinal) ? "positive" : "negative", version = Version });
        });
    }

    /// <summary>A predictor behind a gateway whose sentiment route caches, and a client; disposed together.</summary>
    private sealed class Rig(Predictor predictor, Lattice.Testing.KestrelApp upstream, GatewayHost gateway) : IAsyncDisposable
    {
        public Predictor Predictor { get; } = predictor;

        public HttpClient Client { get; } = gateway.CreateClient();

        public static async Task<Rig> StartAsync(TimeProvider? time = null, Dictionary<string, string?>? extra = null)
        {
            var predictor = new Predictor();
            var upstream = await Upstreams.StartAsync(predictor.Map);
            var settings = GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/v1/sentiment", [upstream.BaseAddress])
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
            await gateway.DisposeAsync();
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
}
