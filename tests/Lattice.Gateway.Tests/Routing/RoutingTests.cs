using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Routing;

public sealed class RoutingTests
{
    private static Action<WebApplication> Echo(string name) => app => app.Map("/{**path}", (HttpContext context) =>
        Results.Json(new { upstream = name, path = context.Request.Path.Value, query = context.Request.QueryString.Value, method = context.Request.Method }));

    [Fact]
    public async Task Forward_ServiceRoute_ReplacesPrefixAndKeepsQuery()
    {
        await using var upstream = await Upstreams.StartAsync(Echo("sentiment"));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/v1/sentiment", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var body = await client.GetFromJsonAsync<JsonElement>("/api/sentiment/batch?explain=true", TestContext.Current.CancellationToken);

        Assert.Equal("/v1/sentiment/batch", body.GetProperty("path").GetString());
        Assert.Equal("?explain=true", body.GetProperty("query").GetString());
    }

    [Fact]
    public async Task Forward_CustomMethodAfterPrefix_FollowsTheResource()
    {
        await using var upstream = await Upstreams.StartAsync(Echo("sentiment"));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/v1/sentiment", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.PostAsJsonAsync("/api/sentiment:batch", new { texts = new[] { "a", "b" } }, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;

        Assert.Equal("/v1/sentiment:batch", body.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Forward_BarePrefix_MapsToUpstreamPrefix()
    {
        await using var upstream = await Upstreams.StartAsync(Echo("sentiment"));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/v1/sentiment", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.PostAsJsonAsync("/api/sentiment", new { text = "hi" }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/v1/sentiment", body.GetProperty("path").GetString());
        Assert.Equal("POST", body.GetProperty("method").GetString());
    }

    [Fact]
    public async Task Forward_InferenceProtocolRoute_PassesPathThroughToTheServiceOfTheModel()
    {
        await using var language = await Upstreams.StartAsync(Echo("language"));
        await using var sentiment = await Upstreams.StartAsync(Echo("sentiment"));
        var settings = GatewayHost.Route("language-v2", "/v2/models/language", "language", null, [language.BaseAddress])
            .With(GatewayHost.Route("sentiment-v2", "/v2/models/sentiment", "sentiment", null, [sentiment.BaseAddress]));
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var body = await client.GetFromJsonAsync<JsonElement>("/v2/models/sentiment/versions/3", TestContext.Current.CancellationToken);

        Assert.Equal("sentiment", body.GetProperty("upstream").GetString());
        Assert.Equal("/v2/models/sentiment/versions/3", body.GetProperty("path").GetString());
    }

    [Theory]
    [InlineData("/api/unknown")]
    [InlineData("/api/sentimental")]
    [InlineData("/v2/models/other/infer")]
    public async Task Forward_UnknownRoute_Returns404Problem(string path)
    {
        await using var upstream = await Upstreams.StartAsync(Echo("sentiment"));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/v1/sentiment", [upstream.BaseAddress]));
        using var client = sut.CreateClient();

        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(ProblemTypes.NotFound, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Forward_RouteToAbsentUpstream_Returns503Problem()
    {
        var settings = GatewayHost.Route("pipelines", "/api/pipelines", "orchestrator", "/v1/pipelines", []);
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();

        var response = await client.PostAsJsonAsync("/api/pipelines/support-triage/runs", new { }, TestContext.Current.CancellationToken);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(ProblemTypes.ServiceUnavailable, problem.GetProperty("type").GetString());
        Assert.Equal("Service unavailable", problem.GetProperty("title").GetString());
        Assert.Contains("orchestrator", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_TwoRoutesOnOnePrefix_FailsValidation()
    {
        var settings = GatewayHost.Route("a", "/api/same", "a", null, [])
            .With(GatewayHost.Route("b", "/api/same/", "b", null, []));

        var error = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => GatewayHost.StartAsync(settings));

        Assert.Contains("share the prefix", error.Message, StringComparison.Ordinal);
    }
}
