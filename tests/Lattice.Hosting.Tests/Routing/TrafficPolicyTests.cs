using System.Net;
using System.Text.Json;
using Lattice.Hosting.Predictions;
using Lattice.Hosting.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Tests.Routing;

/// <summary>The traffic policy over HTTP: sticky keys, shadow, and a policy changed by a configuration reload.</summary>
public sealed class TrafficPolicyTests
{
    private const string Prefix = "Lattice:ModelServer:Models:sentiment:Traffic:";

    private static async Task<string> VersionAsync(HttpClient client, string text = "hello", string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sentiment")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { text }), System.Text.Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("X-Lattice-Route-Key", key);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-Model-Version").Single();
    }

    [Fact]
    public async Task StickyHeader_SameKey_AlwaysGetsSameVersionAndBothVersionsServe()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            [Prefix + "Weights:1"] = "50",
            [Prefix + "Weights:2"] = "50",
        });
        using var client = sut.CreateClient();

        var seen = new HashSet<string>();
        for (var user = 0; user < 20; user++)
        {
            var first = await VersionAsync(client, key: $"user-{user}");
            seen.Add(first);
            for (var repeat = 0; repeat < 3; repeat++)
            {
                Assert.Equal(first, await VersionAsync(client, key: $"user-{user}"));
            }
        }

        Assert.Equal(["1", "2"], seen.Order());
    }

    [Fact]
    public async Task OipRoutingKeyParameter_SameKey_SameVersion()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            [Prefix + "Weights:1"] = "50",
            [Prefix + "Weights:2"] = "50",
        });
        using var client = sut.CreateClient();

        for (var user = 0; user < 10; user++)
        {
            var versions = new HashSet<string>();
            for (var repeat = 0; repeat < 3; repeat++)
            {
                var (status, body, _) = await client.PostAsync("/v2/models/sentiment/infer",
                    $$"""{"parameters": {"routing_key": "u{{user}}"}, "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["x"]}]}""");
                Assert.Equal(HttpStatusCode.OK, status);
                versions.Add(body.GetProperty("model_version").GetString()!);
            }

            Assert.Single(versions);
        }
    }

    /// <summary>Version 2 answers, version 1 (which fails on purpose for the exploding text) runs as the shadow.</summary>
    private static Task<ModelServerApp> StartShadowedAsync() =>
        ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            [Prefix + "DefaultVersion"] = "2",
            [Prefix + "ShadowVersion"] = "1",
        }, server => server.AddModel("sentiment", new KeywordClassifierLoader(explodingVersion: "1")).WithTextClassificationApi());

    [Fact]
    public async Task Shadow_Configured_NeverChangesTheResponseAndIsRecorded()
    {
        await using var sut = await StartShadowedAsync();
        using var client = sut.CreateClient();
        var sink = sut.Services.GetRequiredService<InMemoryPredictionSink>();

        foreach (var text in new[] { "neutral", "positive", "negative", KeywordClassifierLoader.ExplodingText })
        {
            var (shadowed, shadowedBody, response) = await client.PostAsync("/v1/sentiment", JsonSerializer.Serialize(new { text, id = "same" }));
            var (direct, directBody, _) = await client.PostAsync("/v1/sentiment?version=2", JsonSerializer.Serialize(new { text, id = "same" }));

            Assert.Equal(HttpStatusCode.OK, shadowed);
            Assert.Equal(direct, shadowed);
            Assert.Equal(directBody.GetRawText(), shadowedBody.GetRawText());
            Assert.Equal("2", response.Headers.GetValues("X-Model-Version").Single());
        }

        // Shadow calls run after the response; the three that did not fail on purpose are recorded as shadow predictions of version 1.
        await Eventually.TrueAsync(() => sink.Snapshot().Count(p => p.Shadow) == 3, "the shadow predictions");
        Assert.All(sink.Snapshot().Where(p => p.Shadow), p => Assert.Equal("1", p.Version));
        Assert.All(sink.Snapshot().Where(p => !p.Shadow), p => Assert.Equal("2", p.Version));
    }

    [Fact]
    public async Task Shadow_OnOipInfer_NeverChangesTheResponseAndIsRecorded()
    {
        await using var sut = await StartShadowedAsync();
        using var client = sut.CreateClient();
        var sink = sut.Services.GetRequiredService<InMemoryPredictionSink>();

        foreach (var text in new[] { "neutral", "positive", KeywordClassifierLoader.ExplodingText })
        {
            var request = $$"""{"id": "same", "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [{{JsonSerializer.Serialize(text)}}]}]}""";
            var (shadowed, shadowedBody, _) = await client.PostAsync("/v2/models/sentiment/infer", request);
            var (direct, directBody, _) = await client.PostAsync("/v2/models/sentiment/versions/2/infer", request);

            Assert.Equal(HttpStatusCode.OK, shadowed);
            Assert.Equal(direct, shadowed);
            Assert.Equal(directBody.GetRawText(), shadowedBody.GetRawText());
        }

        // The two shadow calls that did not fail on purpose are recorded as shadow predictions of version 1.
        await Eventually.TrueAsync(() => sink.Snapshot().Count(p => p.Shadow) == 2, "the shadow predictions");
        Assert.All(sink.Snapshot().Where(p => p.Shadow), p => Assert.Equal("1", p.Version));
    }

    [Fact]
    public async Task WeightedSplit_OverHttp_SendsEachVersionItsShare()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            [Prefix + "Weights:1"] = "80",
            [Prefix + "Weights:2"] = "20",
        });
        using var client = sut.CreateClient();

        var versionTwo = 0;
        const int Requests = 500;
        for (var i = 0; i < Requests; i++)
        {
            versionTwo += await VersionAsync(client) == "2" ? 1 : 0;
        }

        // 20 % of 500 is 100; the standard deviation is ~9, so 60-140 only fails for a broken split.
        Assert.InRange(versionTwo, 60, 140);
    }

    [Fact]
    public async Task PolicyReload_DefaultVersionChanged_RoutesToNewDefaultWithoutRestart()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults());
        using var client = sut.CreateClient();
        Assert.Equal("2", await VersionAsync(client));

        var configuration = (IConfigurationRoot)sut.Services.GetRequiredService<IConfiguration>();
        configuration[Prefix + "DefaultVersion"] = "1";
        configuration.Reload();

        Assert.Equal("1", await VersionAsync(client));
    }

    [Fact]
    public async Task PolicyReload_InvalidWeights_KeepsLastValidPolicy()
    {
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            [Prefix + "DefaultVersion"] = "1",
        });
        using var client = sut.CreateClient();
        Assert.Equal("1", await VersionAsync(client));

        var configuration = (IConfigurationRoot)sut.Services.GetRequiredService<IConfiguration>();
        configuration[Prefix + "Weights:2"] = "-5";
        try
        {
            configuration.Reload();
        }
        catch (AggregateException)
        {
            // The options monitor validates eagerly on change and throws to whoever raised the reload.
        }

        Assert.Equal("1", await VersionAsync(client));
    }

    [Fact]
    public async Task Start_InvalidWeights_FailsValidation()
    {
        using var repository = TempRepository.WithDefaults();

        await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => ModelServerApp.StartAsync(repository,
            new Dictionary<string, string?> { [Prefix + "Weights:1"] = "-1" }, waitForReady: false));
    }
}
