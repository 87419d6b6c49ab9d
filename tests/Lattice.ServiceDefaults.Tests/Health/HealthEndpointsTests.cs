using System.Net;
using System.Text.Json;
using Lattice.ServiceDefaults.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lattice.ServiceDefaults.Tests.Health;

public sealed class HealthEndpointsTests
{
    private sealed class Switch
    {
        public volatile bool Ready;
    }

    [Fact]
    public async Task Ready_BeforeAndAfterModelLoads_Is503ThenHealthy_WhileLiveStays200()
    {
        var modelLoaded = new Switch();
        await using var sut = await TestApps.StartAsync(
            _ => { },
            builder => builder.Services.AddHealthChecks().AddCheck(
                "model",
                () => modelLoaded.Ready ? HealthCheckResult.Healthy("loaded") : HealthCheckResult.Unhealthy("loading")));
        using var client = sut.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var live = await client.GetAsync(HealthEndpoints.LivePath, ct);
        var notReady = await client.GetAsync(HealthEndpoints.ReadyPath, ct);
        modelLoaded.Ready = true;
        var ready = await client.GetAsync(HealthEndpoints.ReadyPath, ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(ct));
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("loaded", body.RootElement.GetProperty("checks").GetProperty("model").GetProperty("description").GetString());
        using var liveBody = JsonDocument.Parse(await live.Content.ReadAsStringAsync(ct));
        Assert.False(liveBody.RootElement.GetProperty("checks").TryGetProperty("model", out _), "liveness must not run readiness checks");
    }

    [Theory]
    [InlineData("GET", HttpStatusCode.OK)]
    [InlineData("HEAD", HttpStatusCode.OK)]
    [InlineData("POST", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", HttpStatusCode.MethodNotAllowed)]
    public async Task Probes_AnswerGetAndHeadOnly(string method, HttpStatusCode expected)
    {
        await using var sut = await TestApps.StartAsync(_ => { });
        using var client = sut.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var live = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), HealthEndpoints.LivePath), ct);
        var ready = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), HealthEndpoints.ReadyPath), ct);

        Assert.Equal(expected, live.StatusCode);
        Assert.Equal(expected, ready.StatusCode);
    }
}
