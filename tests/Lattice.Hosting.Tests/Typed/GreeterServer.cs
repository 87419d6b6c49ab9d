using Lattice.Hosting.Repository;
using Lattice.Hosting.Tests.Support;
using Lattice.ServiceDefaults;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Tests.Typed;

/// <summary>A real Kestrel model server hosting the greeter (typed endpoint and tensor contract) over a temporary repository.</summary>
internal static class GreeterServer
{
    /// <summary>Versions 1 ("Hello") and 2 ("Bonjour") unless <paramref name="versions"/> says otherwise.</summary>
    public static async Task<(KestrelApp App, TempRepository Repository)> StartAsync(
        IDictionary<string, string?>? settings = null, Gate? gate = null, (string Version, string Greeting)[]? versions = null)
    {
        var repository = new TempRepository();
        foreach (var (version, greeting) in versions ?? [("1", "Hello"), ("2", "Bonjour")])
        {
            Greeter.Write(repository.Root, version, greeting);
        }

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
                builder.AddModelServer(server => server.AddModel(GreeterApi.ModelName, new GreeterLoader(gate)));
            },
            app =>
            {
                app.MapDefaultEndpoints();
                app.MapModelServer();
                GreeterApi.Map(app);
            },
            all,
            cancellationToken: TestContext.Current.CancellationToken);
        var loaded = app.Services.GetRequiredService<ModelRepository>();
        await Eventually.TrueAsync(() => loaded.Scans >= 1, "the initial load");
        return (app, repository);
    }
}
