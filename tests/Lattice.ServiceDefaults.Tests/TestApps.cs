using Lattice.Testing;
using Microsoft.AspNetCore.Builder;

namespace Lattice.ServiceDefaults.Tests;

/// <summary>Starts real Kestrel apps that use the service defaults exactly as a Lattice service does.</summary>
internal static class TestApps
{
    public static Task<KestrelApp> StartAsync(
        Action<WebApplication> map,
        Action<WebApplicationBuilder>? configure = null,
        IDictionary<string, string?>? settings = null,
        string environment = "Production") =>
        KestrelApp.StartAsync(
            builder =>
            {
                builder.AddServiceDefaults();
                configure?.Invoke(builder);
            },
            app =>
            {
                app.MapDefaultEndpoints();
                map(app);
            },
            settings,
            environment,
            TestContext.Current.CancellationToken);
}
