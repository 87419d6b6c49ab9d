using System.Net;
using Lattice.Hosting;
using Lattice.Hosting.Predictions;
using Lattice.Services.Tabular.Tests.Forecast;
using Lattice.Services.Tabular.Tests.Fraud;
using Lattice.Services.Tabular.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Lattice.Services.Tabular.Tests;

/// <summary>Versions, traffic policy, prediction events and options: what each service gets from the model server.</summary>
public sealed class VersionTests
{
    public static TheoryData<string, string, string> TypedRequests => new()
    {
        { "recommender", "/v1/recommendations", """{"user": "user-0001", "k": 2}""" },
        { "fraud", "/v1/fraud:score", FraudApiTests.Groceries },
        { "forecast", "/v1/forecasts", """{"series": [1, 2, 3, 4, 5], "horizon": 2}""" },
    };

    [Theory]
    [MemberData(nameof(TypedRequests))]
    public async Task SecondVersionFolder_IsPickedUpAndAnswersByDefault_WhileTheFirstStaysPinnable(string model, string path, string json)
    {
        await using var sut = await ServiceApp.StartAsync(model);
        using var client = sut.CreateClient();

        sut.Repository.AddVersion(model, "2");
        await Eventually.TrueAsync(
            async () => (await client.GetJsonAsync($"/v2/models/{model}")).Body.GetProperty("versions").GetArrayLength() == 2,
            "version 2 to load");
        var latest = await client.PostAsync(path, json);
        var pinned = await client.PostAsync(path + "?version=1", json);

        Assert.Equal(HttpStatusCode.OK, latest.Status);
        Assert.Equal("2", latest.Body.GetProperty("version").GetString());
        Assert.Equal("2", latest.Header("X-Model-Version"));
        Assert.Equal("1", pinned.Body.GetProperty("version").GetString());
        Assert.Equal("explicit", pinned.Header("X-Lattice-Route"));
    }

    [Fact]
    public async Task ForecastVersion_IsItsConfiguration_ANewVersionChangesTheDefaultMethod()
    {
        await using var sut = await ServiceApp.StartForecastAsync();
        using var client = sut.CreateClient();
        var folder = Path.Combine(sut.Repository.Root, "forecast", ".2");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "forecaster.json"), """{"method": "naive", "description": "test"}""", TestContext.Current.CancellationToken);
        Directory.Move(folder, Path.Combine(sut.Repository.Root, "forecast", "2"));
        await Eventually.TrueAsync(
            async () => (await client.GetJsonAsync("/v2/models/forecast")).Body.GetProperty("versions").GetArrayLength() == 2,
            "version 2 to load");

        var v2 = await client.PostAsync("/v1/forecasts", """{"series": [5, 3, 8, 6], "horizon": 2}""");
        var v1 = await client.PostAsync("/v1/forecasts?version=1", """{"series": [5, 3, 8, 6], "horizon": 2}""");

        Assert.Equal("Naive", v2.Body.GetProperty("method").GetString());
        Assert.Equal([6d, 6d], v2.Body.GetProperty("forecast").EnumerateArray().Select(v => v.GetDouble()));
        Assert.NotEqual("Naive", v1.Body.GetProperty("method").GetString());
    }

    [Fact]
    public async Task ForecastVersion_InvalidConfiguration_IsRefusedAndVersionOneKeepsServing()
    {
        await using var sut = await ServiceApp.StartForecastAsync();
        using var client = sut.CreateClient();
        var folder = Path.Combine(sut.Repository.Root, "forecast", "2");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "forecaster.json"), """{"method": "crystal_ball"}""", TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(
            async () => (await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken)).Contains("lattice_hosting_model_load_failures_total{", StringComparison.Ordinal),
            "the refusal");

        var reply = await client.PostAsync("/v1/forecasts", """{"series": [1, 2, 3], "horizon": 1}""");

        Assert.Equal("1", reply.Body.GetProperty("version").GetString());
        Assert.Equal(["1"], (await client.GetJsonAsync("/v2/models/forecast")).Body.GetProperty("versions").EnumerateArray().Select(v => v.GetString()!));
    }

    [Fact]
    public async Task Fraud_ShadowVersion_ScoresAfterTheResponseAndIsRecordedAsShadow()
    {
        await using var sut = await ServiceApp.StartFraudAsync(new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:fraud:Traffic:ShadowVersion"] = "2",
            ["Lattice:ModelServer:Models:fraud:Traffic:DefaultVersion"] = "1",
        });
        using var client = sut.CreateClient();
        var sink = sut.Services.GetRequiredService<InMemoryPredictionSink>();
        sut.Repository.AddVersion("fraud", "2");
        await Eventually.TrueAsync(
            async () => (await client.GetJsonAsync("/v2/models/fraud")).Body.GetProperty("versions").GetArrayLength() == 2,
            "version 2 to load");

        var reply = await client.PostAsync("/v1/fraud:score", FraudApiTests.StolenCard);

        Assert.Equal("1", reply.Body.GetProperty("version").GetString());
        await Eventually.TrueAsync(() => Task.FromResult(sink.Snapshot().Any(p => p.Shadow && p.Version == "2")), "the shadow prediction");
        var predictions = sink.Snapshot();
        var primary = predictions.Last(p => !p.Shadow);
        var shadow = predictions.Last(p => p.Shadow);
        Assert.Equal("1", primary.Version);
        Assert.Equal("fraud", primary.Output);
        Assert.Equal(primary.Score, shadow.Score);
        Assert.StartsWith("[", primary.Input, StringComparison.Ordinal);
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("lattice_hosting_shadow_predictions_total{", StringComparison.Ordinal)
            && l.Contains("agreement=\"agree\"", StringComparison.Ordinal) && l.Contains("model=\"fraud\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_TypedCalls_AreCountedPerModelAndVersion()
    {
        await using var sut = await ServiceApp.StartRecommenderAsync();
        using var client = sut.CreateClient();
        await client.PostAsync("/v1/recommendations", """{"user": "user-0001"}""");
        await client.PostAsync("/v1/recommendations", """{"user": ""}""");

        var metrics = (await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken)).Split('\n');

        Assert.Contains(metrics, l => l.StartsWith("lattice_hosting_requests_total{", StringComparison.Ordinal)
            && l.Contains("model=\"recommender\"", StringComparison.Ordinal) && l.Contains("version=\"1\"", StringComparison.Ordinal));
        Assert.Contains(metrics, l => l.StartsWith("lattice_hosting_request_duration_seconds_bucket{", StringComparison.Ordinal)
            && l.Contains("model=\"recommender\"", StringComparison.Ordinal));
        Assert.Contains(metrics, l => l.StartsWith("lattice_hosting_errors_total{", StringComparison.Ordinal)
            && l.Contains("model=\"recommender\"", StringComparison.Ordinal) && l.Contains("kind=\"bad_input\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FraudThresholdOption_DecidesAtTheConfiguredThreshold()
    {
        await using var sut = await ServiceApp.StartFraudAsync(new Dictionary<string, string?> { ["Lattice:Fraud:DecisionThreshold"] = "0" });
        using var client = sut.CreateClient();

        var reply = await client.PostAsync("/v1/fraud:score", FraudApiTests.Groceries);

        Assert.Equal(0d, reply.Body.GetProperty("threshold").GetDouble());
        Assert.Equal("fraud", reply.Body.GetProperty("decision").GetString());
    }

    [Theory]
    [InlineData("fraud", "Lattice:Fraud:DecisionThreshold", "1.5")]
    [InlineData("fraud", "Lattice:Fraud:TopFeatures", "0")]
    [InlineData("recommender", "Lattice:Recommender:DefaultK", "500")]
    [InlineData("recommender", "Lattice:Recommender:MaxK", "5000")]
    [InlineData("forecast", "Lattice:Forecast:MaxHorizon", "0")]
    [InlineData("forecast", "Lattice:Forecast:MaxValuesPerRequest", "99999")]
    [InlineData("forecast", "Lattice:Forecast:DefaultLevels:0", "100")]
    [InlineData("forecast", "Lattice:Forecast:DefaultLevels:0", "99.99999999999999")]
    public async Task InvalidOption_StopsTheServiceAtStart(string model, string key, string value)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => ServiceApp.StartAsync(model, new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(key.Split(':')[2], failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForecastBulkhead_Unconfigured_RunsOneForecastPerProcessor()
    {
        // Forecasts fit inline on pool threads; the model server's default of 64 at once starved the pool (health waited 16 s).
        await using var sut = await ServiceApp.StartForecastAsync();

        var options = sut.Services.GetRequiredService<IOptionsMonitor<ModelServerOptions>>().CurrentValue;

        Assert.Equal(Environment.ProcessorCount, options.Models["forecast"].Bulkhead.MaxConcurrency);
    }

    [Fact]
    public async Task ForecastBulkhead_Configured_KeepsTheConfiguredConcurrency()
    {
        await using var sut = await ServiceApp.StartForecastAsync(new Dictionary<string, string?> { ["Lattice:ModelServer:Models:forecast:Bulkhead:MaxConcurrency"] = "7" });

        var options = sut.Services.GetRequiredService<IOptionsMonitor<ModelServerOptions>>().CurrentValue;

        Assert.Equal(7, options.Models["forecast"].Bulkhead.MaxConcurrency);
    }

    [Fact]
    public async Task Forecast_NotReadyUntilAVersionLoads()
    {
        await using var sut = await ServiceApp.StartForecastAsync();
        using var client = sut.CreateClient();
        Directory.Delete(Path.Combine(sut.Repository.Root, "forecast", "1"), recursive: true);
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).StatusCode == HttpStatusCode.ServiceUnavailable, "not ready");

        var typed = await client.PostAsync("/v1/forecasts", """{"series": [1, 2, 3], "horizon": 1}""");
        var oip = await client.PostAsync("/v2/models/forecast/infer", """{"inputs": [{"name": "series", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [1]}]}""");

        typed.AssertProblem(HttpStatusCode.ServiceUnavailable, "https://lattice.dev/problems/model-not-ready");
        Assert.Equal("1", typed.Header("Retry-After"));
        oip.AssertOipError(HttpStatusCode.ServiceUnavailable);
    }
}
