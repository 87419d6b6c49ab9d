using Lattice.Testing;
using Microsoft.AspNetCore.Builder;

namespace Lattice.Gateway.Tests;

/// <summary>Real Kestrel upstreams for the gateway to forward to.</summary>
internal static class Upstreams
{
    public static Task<KestrelApp> StartAsync(Action<WebApplication> map) =>
        KestrelApp.StartAsync(configureApp: map, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Starts <paramref name="count"/> upstreams with the same handlers (one service's replicas).</summary>
    public static async Task<KestrelApp[]> StartManyAsync(int count, Func<int, Action<WebApplication>> map)
    {
        var apps = new KestrelApp[count];
        for (var i = 0; i < count; i++)
        {
            apps[i] = await StartAsync(map(i));
        }

        return apps;
    }
}
