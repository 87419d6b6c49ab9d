using System.Net.Http.Headers;
using System.Net.Sockets;
using Lattice.Gateway.Auth;
using Lattice.Gateway.Extensions;
using Lattice.ServiceDefaults;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Gateway.Tests;

/// <summary>A real gateway on a loopback port, its key store in a fresh temporary folder, and a known admin key.</summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    private readonly string _dataFolder;

    private GatewayHost(KestrelApp app, string dataFolder, string adminKey)
    {
        App = app;
        _dataFolder = dataFolder;
        AdminKey = adminKey;
    }

    public KestrelApp App { get; }

    public string AdminKey { get; }

    public IServiceProvider Services => App.Services;

    public Uri BaseAddress => App.BaseAddress;

    /// <summary>Starts a gateway with the given settings (routes, Services:*:Urls, limits); <paramref name="time"/> replaces the clock.</summary>
    public static async Task<GatewayHost> StartAsync(
        IDictionary<string, string?> settings, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        var dataFolder = Path.Combine(Path.GetTempPath(), "lattice-gateway-tests", Guid.NewGuid().ToString("N"));
        var adminKey = ApiKeyFormat.Generate();
        var all = new Dictionary<string, string?>(settings)
        {
            ["Lattice:Gateway:Auth:DataFolder"] = dataFolder,
            ["Lattice:Gateway:Auth:BootstrapAdminKey"] = adminKey,
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var app = await KestrelApp.StartAsync(
            builder =>
            {
                builder.AddServiceDefaults();
                builder.AddGateway();
                if (time is not null)
                {
                    builder.Services.AddSingleton(time);
                }

                services?.Invoke(builder.Services);
            },
            app =>
            {
                app.MapDefaultEndpoints();
                app.MapGateway();
            },
            all,
            cancellationToken: TestContext.Current.CancellationToken);
        return new GatewayHost(app, dataFolder, adminKey);
    }

    /// <summary>A client that sends <paramref name="key"/> as a bearer token (none when null).</summary>
    public HttpClient CreateClient(string? key = null)
    {
        var client = App.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>Creates a key straight through the key service.</summary>
    public async Task<string> CreateKeyAsync(string[] scopes, DateTimeOffset? expiresAt = null, double? permitsPerSecond = null, int? burst = null)
    {
        var keys = Services.GetRequiredService<ApiKeyService>();
        var (_, key) = await keys.CreateAsync("test", scopes, expiresAt, permitsPerSecond, burst, TestContext.Current.CancellationToken);
        return key;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A loopback address where nothing listens (the port was bound, then released).</summary>
    public static Uri DeadAddress()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>Settings for one route to one service with the given replicas.</summary>
    public static Dictionary<string, string?> Route(
        string id, string pathPrefix, string service, string? upstreamPrefix, IEnumerable<Uri> replicas, string? scope = "anonymous")
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Lattice:Gateway:Routes:{id}:PathPrefix"] = pathPrefix,
            [$"Lattice:Gateway:Routes:{id}:Service"] = service,
            [$"Lattice:Gateway:Routes:{id}:UpstreamPathPrefix"] = upstreamPrefix,
            [$"Lattice:Gateway:Routes:{id}:Scope"] = scope,
        };
        var i = 0;
        foreach (var replica in replicas)
        {
            settings[$"Services:{service}:Urls:{i++}"] = replica.ToString();
        }

        return settings;
    }
}

internal static class SettingsExtensions
{
    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, IDictionary<string, string?> more)
    {
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, string key, string? value)
    {
        settings[key] = value;
        return settings;
    }
}
