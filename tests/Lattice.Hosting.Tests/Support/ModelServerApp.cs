using System.Net.Http.Json;
using Lattice.ServiceDefaults;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Tests.Support;

/// <summary>A real Kestrel model server over a temporary model repository, with the service defaults.</summary>
internal sealed class ModelServerApp : IAsyncDisposable
{
    private ModelServerApp(KestrelApp app, TempRepository repository)
    {
        App = app;
        Repository = repository;
    }

    public KestrelApp App { get; }

    public TempRepository Repository { get; }

    public IServiceProvider Services => App.Services;

    public HttpClient CreateClient() => App.CreateClient();

    /// <summary>
    /// Starts a server hosting <c>sentiment</c> (keyword classifier, typed API at /v1/sentiment) and <c>linear</c>
    /// (numeric), waits until the initial load finished, and returns it.
    /// </summary>
    public static async Task<ModelServerApp> StartAsync(
        TempRepository repository,
        IDictionary<string, string?>? settings = null,
        Action<ModelServerBuilder>? models = null,
        bool waitForReady = true,
        Action<WebApplicationBuilder>? configure = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Root"] = repository.Root,
            ["Lattice:ModelServer:RescanInterval"] = "00:00:00.200",
            ["Lattice:ModelServer:ReloadDebounce"] = "00:00:00.050",
            ["Lattice:ModelServer:WarmupIterations"] = "2",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = await KestrelApp.StartAsync(
            builder =>
            {
                builder.AddServiceDefaults();
                builder.AddModelServer(models ?? (server =>
                {
                    server.AddModel("sentiment", new KeywordClassifierLoader()).WithTextClassificationApi();
                    server.AddModel("linear", new LinearLoader());
                }));
                configure?.Invoke(builder);
            },
            app =>
            {
                app.MapDefaultEndpoints();
                app.MapModelServer();
            },
            all,
            cancellationToken: TestContext.Current.CancellationToken);
        var server = new ModelServerApp(app, repository);
        if (waitForReady)
        {
            var loaded = server.Services.GetRequiredService<global::Lattice.Hosting.Repository.ModelRepository>();
            await Eventually.TrueAsync(() => loaded.Scans >= 1, "the initial load");
        }

        return server;
    }

    /// <summary>Waits until a full scan that started after now has finished.</summary>
    public async Task WaitForScanAsync()
    {
        var repository = Services.GetRequiredService<global::Lattice.Hosting.Repository.ModelRepository>();
        var target = repository.Scans + 2;
        await Eventually.TrueAsync(() => repository.Scans >= target, "the repository scan");
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
    public string Root { get; } = Directory.CreateTempSubdirectory("lattice-models-").FullName;

    /// <summary>sentiment versions 1 (leans negative) and 2 (leans positive), and linear version 1.</summary>
    public static TempRepository WithDefaults()
    {
        var repository = new TempRepository();
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "1", [0.5f, 0f]);
        TestModels.WriteKeywordClassifier(repository.Root, "sentiment", "2", [0f, 0.5f]);
        TestModels.WriteLinear(repository.Root, "linear", "1", new float[,] { { 1, 2, 3 }, { -1, 0, 1 } });
        return repository;
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
}

internal static class Eventually
{
    /// <summary>Polls until the condition holds; a generous bound only catches hangs.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}

internal static class HttpJson
{
    public static async Task<(System.Net.HttpStatusCode Status, System.Text.Json.JsonElement Body, HttpResponseMessage Response)> PostAsync(
        this HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync(path, content, TestContext.Current.CancellationToken);
        return (response.StatusCode, await ReadAsync(response), response);
    }

    /// <summary>Posts <paramref name="json"/> as UTF-8 bytes under <paramref name="contentType"/> exactly as given.</summary>
    public static async Task<(System.Net.HttpStatusCode Status, System.Text.Json.JsonElement Body, HttpResponseMessage Response)> PostAsync(
        this HttpClient client, string path, string json, string contentType)
    {
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(json));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await client.PostAsync(path, content, TestContext.Current.CancellationToken);
        return (response.StatusCode, await ReadAsync(response), response);
    }

    public static async Task<(System.Net.HttpStatusCode Status, System.Text.Json.JsonElement Body, HttpResponseMessage Response)> GetJsonAsync(
        this HttpClient client, string path)
    {
        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        return (response.StatusCode, await ReadAsync(response), response);
    }

    private static async Task<System.Text.Json.JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return string.IsNullOrEmpty(text) ? default : System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Whether <c>/metrics</c> has a sample of <paramref name="name"/> carrying every one of <paramref name="labels"/> (e.g. <c>kind="internal"</c>).</summary>
    public static async Task<bool> HasMetricAsync(this HttpClient client, string name, params string[] labels)
    {
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return metrics.Split('\n').Any(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(label => l.Contains(label, StringComparison.Ordinal)));
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/> (0 when none).</summary>
    public static async Task<double> MetricValueAsync(this HttpClient client, string name, params string[] labels)
    {
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(label => l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient client, string path, T value) =>
        client.PostAsJsonAsync(path, value, TestContext.Current.CancellationToken);
}

/// <summary>One default server shared by the tests of a class that do not change it.</summary>
public sealed class DefaultServerFixture : IAsyncLifetime
{
    internal ModelServerApp Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await ModelServerApp.StartAsync(TempRepository.WithDefaults());
        Client = Server.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
