using System.Net;
using Lattice.Hosting.Repository;
using Lattice.Hosting.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lattice.Hosting.Tests.Repository;

/// <summary>The repository through configuration reloads that fail, file noise, and the host stopping mid-way.</summary>
public sealed class RepositoryLifecycleTests
{
    private const string Prefix = "Lattice:ModelServer:Models:sentiment:Traffic:";

    /// <summary>Reloads a configuration that fails validation (a negative weight).</summary>
    private static void ReloadInvalid(ModelServerApp sut)
    {
        var configuration = (IConfigurationRoot)sut.Services.GetRequiredService<IConfiguration>();
        configuration[Prefix + "Weights:2"] = "-5";
        try
        {
            configuration.Reload();
        }
        catch (AggregateException)
        {
            // The options monitor validates on change and throws to whoever raised the reload (see TrafficPolicyTests).
        }
    }

    [Fact]
    public async Task InvalidConfigurationReload_HostKeepsRunning_AndHotReloadKeepsWorking()
    {
        var repository = TempRepository.WithDefaults();
        await using var sut = await ModelServerApp.StartAsync(repository); // RescanInterval 200 ms
        var lifetime = sut.Services.GetRequiredService<IHostApplicationLifetime>();
        var served = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"];
        var scans = sut.Services.GetRequiredService<ModelRepository>().Scans;

        ReloadInvalid(sut);
        await Eventually.TrueAsync(() => sut.Services.GetRequiredService<ModelRepository>().Scans >= scans + 3, "three rescans after the reload");
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "3", [0f, 0f]);
        await Eventually.TrueAsync(() => served.Snapshot.VersionNames.Contains("3"), "version 3 after an invalid reload", timeoutSeconds: 10);

        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "an invalid configuration reload stopped the host");
    }

    [Fact]
    public async Task InvalidConfigurationReload_ThenAVersionRemoved_TheRetiredVersionIsStillDisposed()
    {
        var loader = new TrackingLoader();
        var repository = TempRepository.WithDefaults();
        await using var sut = await ModelServerApp.StartAsync(repository, new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:RescanInterval"] = "00:10:00", // only the watcher's event triggers the scan
        }, server => server.AddModel("sentiment", loader).WithTextClassificationApi());
        var models = sut.Services.GetRequiredService<ModelRepository>();
        var one = models.Models["sentiment"].Snapshot.ByVersion["1"];

        ReloadInvalid(sut);
        Directory.Delete(Path.Combine(repository.Root, "sentiment", "1"), recursive: true);
        await Eventually.TrueAsync(() => one.IsRetired, "version 1 to be retired");
        await models.WhenDrainedAsync(); // read DrainTimeout from the options monitor, which threw after the reload

        Assert.True(loader.IsDisposed("1"));
    }

    [Fact]
    public async Task InvalidConfigurationReload_IsLoggedOnce_NotOncePerRequest()
    {
        var logs = new CapturingLoggerProvider();
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:RescanInterval"] = "00:10:00",
            ["Lattice:ModelServer:Watch"] = "false",
        }, configure: builder => builder.Logging.AddProvider(logs));
        using var client = sut.CreateClient();

        ReloadInvalid(sut);
        for (var i = 0; i < 20; i++)
        {
            var (status, _, _) = await client.PostAsync("/v1/sentiment", """{"text": "hello"}""");
            Assert.Equal(HttpStatusCode.OK, status);
        }

        Assert.Equal(1, logs.Entries.Count(e => e.EventId.Id == 123));
    }

    [Fact]
    public async Task ReloadThatDoesNotBind_KeepsTheLastValidSettings()
    {
        var logs = new CapturingLoggerProvider();
        await using var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            [Prefix + "DefaultVersion"] = "1",
        }, configure: builder => builder.Logging.AddProvider(logs));
        using var client = sut.CreateClient();
        var configuration = (IConfigurationRoot)sut.Services.GetRequiredService<IConfiguration>();

        configuration["Lattice:ModelServer:DrainTimeout"] = "soon";
        try
        {
            configuration.Reload();
        }
        catch (AggregateException)
        {
        }

        var (status, _, response) = await client.PostAsync("/v1/sentiment", """{"text": "hello"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", response.Headers.GetValues("X-Model-Version").Single());
        Assert.Contains(logs.Entries, e => e.EventId.Id == 123);
    }

    [Fact]
    public async Task RetiredVersionStillDraining_WhenTheHostStops_IsDisposedWithTheHost()
    {
        var loader = new TrackingLoader();
        var repository = TempRepository.WithDefaults();
        var sut = await ModelServerApp.StartAsync(repository, models: server => server.AddModel("sentiment", loader).WithTextClassificationApi());
        var one = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"].Snapshot.ByVersion["1"];
        Assert.True(one.TryAcquire()); // a request still running on version 1, e.g. past the shutdown timeout
        try
        {
            Directory.Delete(Path.Combine(repository.Root, "sentiment", "1"), recursive: true);
            await Eventually.TrueAsync(() => one.IsRetired, "version 1 to be retired");
        }
        finally
        {
            await sut.DisposeAsync(); // DrainTimeout (30 s) has not passed
        }

        Assert.True(loader.IsDisposed("1"), "the draining version 1 outlived the host");
        Assert.True(loader.IsDisposed("2"));
        one.Release();
    }

    [Fact]
    public async Task ShutdownDuringALoad_VersionsAlreadyLoadedInThatScanAreDisposed()
    {
        var loader = new TrackingLoader(blockOnLoad: 2); // the second Load of the scan waits for the host to stop
        var sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(),
            models: server => server.AddModel("sentiment", loader).WithTextClassificationApi(), waitForReady: false);
        try
        {
            Assert.True(await loader.Blocked.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        }
        finally
        {
            await sut.DisposeAsync();
        }

        var loaded = loader.Adapters.Keys.ToList();
        Assert.NotEmpty(loaded);
        Assert.All(loaded, version => Assert.True(loader.IsDisposed(version), $"version {version} was loaded, never published, never disposed"));
    }

    [Fact]
    public async Task InFlightGauge_OfARemovedVersion_DoesNotStickAtItsLastValue()
    {
        var repository = TempRepository.WithDefaults();
        await using var sut = await ModelServerApp.StartAsync(repository);
        using var client = sut.CreateClient();
        var one = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"].Snapshot.ByVersion["1"];
        Assert.True(one.TryAcquire());
        Assert.Equal(1, await client.MetricValueAsync("lattice_hosting_inflight", "model=\"sentiment\"", "version=\"1\""));

        Directory.Delete(Path.Combine(repository.Root, "sentiment", "1"), recursive: true);
        await Eventually.TrueAsync(() => one.IsRetired, "version 1 to be retired");
        one.Release();
        await sut.Services.GetRequiredService<ModelRepository>().WhenDrainedAsync();

        Assert.Equal(0, await client.MetricValueAsync("lattice_hosting_inflight", "model=\"sentiment\"", "version=\"1\""));
    }

    [Fact]
    public async Task FileEventsThatNeverPause_DoNotPostponeTheScanPastTheRescanInterval()
    {
        var repository = TempRepository.WithDefaults();
        await using var sut = await ModelServerApp.StartAsync(repository, new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:RescanInterval"] = "00:00:00.200",
            ["Lattice:ModelServer:ReloadDebounce"] = "00:00:00.500",
        });
        var served = sut.Services.GetRequiredService<ModelRepository>().Models["sentiment"];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var noise = Path.Combine(repository.Root, "notes.txt"); // e.g. a sync tool or a log touching the root every 50 ms
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await File.WriteAllTextAsync(noise, i.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
                await Task.Delay(50, CancellationToken.None);
            }
        }, TestContext.Current.CancellationToken);
        try
        {
            await Task.Delay(300, TestContext.Current.CancellationToken);
            TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "3", [0f, 0f]);

            // The debounce never sees 500 ms of quiet: only the cap lets a scan run.
            await Eventually.TrueAsync(() => served.Snapshot.VersionNames.Contains("3"), "version 3 while the root keeps changing", timeoutSeconds: 20);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
    }
}
