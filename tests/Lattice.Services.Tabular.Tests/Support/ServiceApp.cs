using System.Net;
using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Forecast.Apis;
using Lattice.Services.Forecast.Extensions;
using Lattice.Services.Fraud.Apis;
using Lattice.Services.Fraud.Extensions;
using Lattice.Services.Recommender.Apis;
using Lattice.Services.Recommender.Extensions;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Lattice.Services.Tabular.Tests.Support;

/// <summary>
/// One of the tabular services on a real Kestrel server, wired exactly as its Program.cs, over a temporary copy of
/// its shipped model folder (so a test may add versions), ready (its models loaded) when returned.
/// </summary>
internal sealed class ServiceApp : IAsyncDisposable
{
    private ServiceApp(KestrelApp app, TempRepository repository)
    {
        App = app;
        Repository = repository;
    }

    public KestrelApp App { get; }

    public TempRepository Repository { get; }

    public IServiceProvider Services => App.Services;

    public HttpClient CreateClient() => App.CreateClient();

    public static Task<ServiceApp> StartRecommenderAsync(IDictionary<string, string?>? settings = null) =>
        StartAsync(RecommenderServiceExtensions.ModelName, b => b.AddRecommenderModel(), a => a.MapRecommenderApi(), settings);

    public static Task<ServiceApp> StartFraudAsync(IDictionary<string, string?>? settings = null) =>
        StartAsync(FraudServiceExtensions.ModelName, b => b.AddFraudModel(), a => a.MapFraudApi(), settings);

    public static Task<ServiceApp> StartForecastAsync(IDictionary<string, string?>? settings = null) =>
        StartAsync(ForecastServiceExtensions.ModelName, b => b.AddForecaster(), a => a.MapForecastApi(), new Dictionary<string, string?>
        {
            // As the forecast service's appsettings.json: a 100,000-point series fits.
            ["Lattice:ModelServer:Limits:MaxRequestBodyBytes"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.Concat(settings ?? new Dictionary<string, string?>()).ToDictionary());

    /// <summary>Starts a service by name: recommender, fraud or forecast.</summary>
    public static Task<ServiceApp> StartAsync(string model, IDictionary<string, string?>? settings = null) => model switch
    {
        RecommenderServiceExtensions.ModelName => StartRecommenderAsync(settings),
        FraudServiceExtensions.ModelName => StartFraudAsync(settings),
        _ => StartForecastAsync(settings),
    };

    private static async Task<ServiceApp> StartAsync(
        string model, Action<IHostApplicationBuilder> add, Action<WebApplication> map, IDictionary<string, string?>? settings)
    {
        var repository = TempRepository.CopyOfShipped(model);
        var all = new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Root"] = repository.Root,
            ["Lattice:ModelServer:RescanInterval"] = "00:00:00.200",
            ["Lattice:ModelServer:ReloadDebounce"] = "00:00:00.050",
            ["Lattice:ModelServer:WarmupIterations"] = "2",
            ["Lattice:ModelServer:Limits:MaxRequestBodyBytes"] = "1048576",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        KestrelApp app;
        try
        {
            app = await KestrelApp.StartAsync(
                builder =>
                {
                    builder.AddServiceDefaults();
                    add(builder);
                },
                app =>
                {
                    app.MapDefaultEndpoints();
                    app.MapModelServer();
                    map(app);
                },
                all,
                cancellationToken: TestContext.Current.CancellationToken);
        }
        catch
        {
            repository.Dispose();
            throw;
        }

        var server = new ServiceApp(app, repository);
        using var client = server.CreateClient();
        await Eventually.TrueAsync(
            async () => (await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).StatusCode == HttpStatusCode.OK,
            $"{model} to be ready");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        Repository.Dispose();
    }
}

/// <summary>A model repository in a temporary folder, deleted on dispose.</summary>
internal sealed class TempRepository : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("lattice-tabular-").FullName;

    /// <summary>The repository's <c>models/</c> folder, found from the test's output folder.</summary>
    public static string ShippedModels { get; } = FindShippedModels();

    /// <summary>A repository holding version 1 of <paramref name="model"/> as shipped in <c>models/</c>.</summary>
    public static TempRepository CopyOfShipped(string model)
    {
        var repository = new TempRepository();
        repository.AddVersion(model, "1");
        return repository;
    }

    /// <summary>Copies the shipped version 1 as <paramref name="version"/>; returns its folder.</summary>
    public string AddVersion(string model, string version)
    {
        var source = Path.Combine(ShippedModels, model, "1");
        var target = Path.Combine(Root, model, version);
        // Copy into a hidden folder, then rename: the watcher never sees half a version.
        var staging = Path.Combine(Root, model, "." + version);
        Directory.CreateDirectory(staging);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
        }

        Directory.Move(staging, target);
        return target;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindShippedModels()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lattice.slnx")))
            {
                return Path.Combine(directory.FullName, "models");
            }
        }

        throw new InvalidOperationException("The repository root (Lattice.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
