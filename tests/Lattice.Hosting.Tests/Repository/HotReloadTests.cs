using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Lattice.Hosting.Repository;
using Lattice.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Tests.Repository;

public sealed class HotReloadTests
{
    [Fact]
    public async Task AddReplaceAndRemoveVersions_UnderConcurrentLoad_NoRequestFails()
    {
        var repository = new TempRepository();
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "1", [0.5f, 0f]);
        await using var sut = await ModelServerApp.StartAsync(repository, models: server =>
            server.AddModel("sentiment", new KeywordClassifierLoader()).WithTextClassificationApi());
        using var client = sut.CreateClient();
        var failures = new ConcurrentQueue<string>();
        var versions = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();

        async Task LoadAsync(int worker)
        {
            var typed = worker % 2 == 0;
            while (!stop.IsCancellationRequested)
            {
                var (status, body, response) = typed
                    ? await client.PostAsync("/v1/sentiment", """{"text": "positive or negative"}""")
                    : await client.PostAsync("/v2/models/sentiment/infer", """{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["positive"]}]}""");
                if (status != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)status}: {body}");
                    continue;
                }

                versions.AddOrUpdate(response.Headers.GetValues("X-Model-Version").Single(), 1, (_, n) => n + 1);
            }
        }

        var load = Enumerable.Range(0, 4).Select(worker => Task.Run(() => LoadAsync(worker), TestContext.Current.CancellationToken)).ToArray();
        await Eventually.TrueAsync(() => versions.ContainsKey("1"), "traffic on version 1");

        // A new version: loaded and warmed up in the background, then it takes the traffic (highest version is the default).
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "2", [0f, 0.5f]);
        await Eventually.TrueAsync(() => versions.ContainsKey("2"), "traffic on version 2");

        // The old version is removed while requests may still hold it: it drains, then is disposed.
        Directory.Delete(Path.Combine(repository.Root, "sentiment", "1"), recursive: true);
        var served = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"];
        await Eventually.TrueAsync(() => served.Snapshot.VersionNames.SequenceEqual(["2"]), "version 1 to be retired");

        // A version replaced in place is reloaded, and the old instance drains.
        var before = served.Snapshot.ByVersion["2"];
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "2", [0f, 1f]);
        await Eventually.TrueAsync(() => !ReferenceEquals(served.Snapshot.ByVersion["2"], before), "version 2 to be reloaded");
        var countAfterReload = versions["2"];
        await Eventually.TrueAsync(() => versions["2"] > countAfterReload + 20, "traffic after the reload");

        await stop.CancelAsync();
        await Task.WhenAll(load);
        await sut.Services.GetRequiredService<ModelRepository>().WhenDrainedAsync();

        Assert.Empty(failures);
        Assert.True(before.IsRetired);
        Assert.Equal(0, before.Leases);
    }

    [Fact]
    public async Task CorruptVersion_AtLoad_IsRefusedWhileOthersServe()
    {
        var repository = TempRepository.WithDefaults();
        TestModels.Corrupt(TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "3", [0f, 0f]));
        var truncated = TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "4", [0f, 0f]);
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..100]);
        await using var sut = await ModelServerApp.StartAsync(repository);
        using var client = sut.CreateClient();

        var (metadataStatus, metadata, _) = await client.GetJsonAsync("/v2/models/sentiment");
        var (inferStatus, inference, _) = await client.PostAsync("/v1/sentiment", """{"text": "positive"}""");
        var (readyStatus, _, _) = await client.GetJsonAsync("/v2/models/sentiment/versions/3/ready");
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, metadataStatus);
        Assert.Equal(["1", "2"], metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()!));
        Assert.Equal(HttpStatusCode.OK, inferStatus);
        Assert.Equal("2", inference.GetProperty("version").GetString());
        Assert.Equal(HttpStatusCode.NotFound, readyStatus);
        var failures = metrics.Split('\n').Where(l => l.StartsWith("lattice_hosting_model_load_failures_total{", StringComparison.Ordinal)).ToList();
        Assert.Contains(failures, l => l.Contains("version=\"3\"", StringComparison.Ordinal) && l.Contains("reason=\"ChecksumMismatch\"", StringComparison.Ordinal));
        Assert.Contains(failures, l => l.Contains("version=\"4\"", StringComparison.Ordinal) && l.Contains("reason=\"Truncated\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RefusedVersion_FixedOnDisk_IsLoaded()
    {
        var repository = TempRepository.WithDefaults();
        TestModels.Corrupt(TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "3", [0f, 0f]));
        await using var sut = await ModelServerApp.StartAsync(repository);
        var served = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"];
        Assert.Equal(["1", "2"], served.Snapshot.VersionNames);

        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "3", [0f, 0f]);

        await Eventually.TrueAsync(() => served.Snapshot.VersionNames.Contains("3"), "the fixed version 3");
    }

    [Fact]
    public async Task NonAsciiVersionName_AtLoad_IsRefusedWhileOthersServe()
    {
        var repository = TempRepository.WithDefaults();
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "é", [0f, 0.5f]);
        await using var sut = await ModelServerApp.StartAsync(repository);
        using var client = sut.CreateClient();
        var served = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"];

        var (oipStatus, oip, oipResponse) = await client.PostAsync("/v2/models/sentiment/infer", """{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["positive"]}]}""");
        var (typedStatus, typed, _) = await client.PostAsync("/v1/sentiment", """{"text": "positive"}""");
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(["1", "2"], served.Snapshot.VersionNames);
        Assert.Contains("é", served.Refused.Keys);
        Assert.Equal(HttpStatusCode.OK, oipStatus);
        Assert.Equal("2", oip.GetProperty("model_version").GetString());
        Assert.Equal("2", oipResponse.Headers.GetValues("X-Model-Version").Single());
        Assert.Equal(HttpStatusCode.OK, typedStatus);
        Assert.Equal("2", typed.GetProperty("version").GetString());
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("lattice_hosting_model_load_failures_total{", StringComparison.Ordinal)
            && l.Contains("reason=\"InvalidVersionName\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NonAsciiVersionName_AddedWhileRunning_IsRefusedWhileOthersServe()
    {
        var repository = TempRepository.WithDefaults();
        await using var sut = await ModelServerApp.StartAsync(repository);
        using var client = sut.CreateClient();
        var served = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"];

        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "é", [0f, 0.5f]);
        await Eventually.TrueAsync(() => served.Refused.ContainsKey("é"), "the version named é to be refused");
        var (status, body, response) = await client.PostAsync("/v1/sentiment", """{"text": "positive"}""");

        Assert.Equal(["1", "2"], served.Snapshot.VersionNames);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2", body.GetProperty("version").GetString());
        Assert.Equal("2", response.Headers.GetValues("X-Model-Version").Single());
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("v2.1-rc_3", true)]
    [InlineData("é", false)]
    [InlineData("two words", false)]
    [InlineData("a%2Fb", false)]
    public void IsSafeVersionName_AsciiLettersDigitsDotDashUnderscore(string version, bool expected) =>
        Assert.Equal(expected, ModelRepository.IsSafeVersionName(version));

    [Fact]
    public async Task EmptyVersionFolder_IsPendingNotRefused()
    {
        var repository = TempRepository.WithDefaults();
        Directory.CreateDirectory(Path.Combine(repository.Root, "sentiment", "5"));
        await using var sut = await ModelServerApp.StartAsync(repository);
        var served = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"];
        await sut.WaitForScanAsync();

        Assert.Empty(served.Refused);
        Assert.Equal(["1", "2"], served.Snapshot.VersionNames);
    }

    [Fact]
    public async Task ModelWithoutVersions_ServerNotReadyUntilOneArrives()
    {
        var repository = new TempRepository();
        await using var sut = await ModelServerApp.StartAsync(repository, models: server => server.AddModel("sentiment", new KeywordClassifierLoader()).WithTextClassificationApi());
        using var client = sut.CreateClient();

        var (serverStatus, serverBody, _) = await client.GetJsonAsync("/v2/health/ready");
        var (modelStatus, modelBody, _) = await client.GetJsonAsync("/v2/models/sentiment/ready");
        var (healthStatus, _, _) = await client.GetJsonAsync("/health/ready");
        var (inferStatus, inferBody, _) = await client.PostAsync("/v1/sentiment", """{"text": "x"}""");
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "1");
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode, "readiness");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, serverStatus);
        Assert.False(serverBody.GetProperty("ready").GetBoolean());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, modelStatus);
        Assert.False(modelBody.GetProperty("ready").GetBoolean());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthStatus);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, inferStatus);
        Assert.Equal(ModelServerProblemTypes.ModelNotReady, inferBody.GetProperty("type").GetString());
    }
}
