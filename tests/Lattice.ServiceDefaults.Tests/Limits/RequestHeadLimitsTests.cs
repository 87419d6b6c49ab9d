using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Lattice.ServiceDefaults.Tests.Limits;

public sealed class RequestHeadLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<Lattice.Testing.KestrelApp> StartAsync(IDictionary<string, string?>? settings = null) =>
        TestApps.StartAsync(app => app.MapGet("/ok", () => "ok"), settings: settings);

    private static Dictionary<string, string?> Limits(string name, string value) => new() { ["Lattice:RequestLimits:" + name] = value };

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailPart, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.TryGetProperty("traceId", out _));
        return problem;
    }

    [Fact]
    public async Task HeadersOverTheDefaultLimit_Return431Problem_WhereKestrelAloneGaveAnEmpty431()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ok");
        request.Headers.Add("X-Big", new string('a', 40 * 1024)); // over Kestrel's default 32 KiB, under twice it

        var response = await client.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge, "the limit is 32768");
    }

    [Fact]
    public async Task HeadersOverAConfiguredLimit_Return431Problem_UnderItPass()
    {
        await using var app = await StartAsync(Limits("MaxRequestHeadersBytes", "4096"));
        using var client = app.CreateClient();

        using var over = new HttpRequestMessage(HttpMethod.Get, "/ok");
        over.Headers.Add("X-Big", new string('a', 5000));
        var refused = await client.SendAsync(over, Ct);
        using var under = new HttpRequestMessage(HttpMethod.Get, "/ok");
        under.Headers.Add("X-Big", new string('a', 3000));
        var passed = await client.SendAsync(under, Ct);

        var problem = await AssertProblemAsync(refused, HttpStatusCode.RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge, "; the limit is 4096.");
        Assert.Equal("Request headers too large", problem.GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
    }

    [Fact]
    public async Task HeadersPastTwiceTheLimit_AreKestrelsOwnBare431()
    {
        // Kestrel's hard limit is twice the configured one: such a head is never read into memory.
        await using var app = await StartAsync(Limits("MaxRequestHeadersBytes", "4096"));
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ok");
        request.Headers.Add("X-Big", new string('a', 9000));

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task TooManyHeaderLines_Return431Problem()
    {
        await using var app = await StartAsync(Limits("MaxRequestHeaderCount", "10"));
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ok");
        for (var i = 0; i < 12; i++)
        {
            request.Headers.Add($"X-H{i}", "v");
        }

        var response = await client.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge, "header lines; the limit is 10.");
    }

    [Fact]
    public async Task RequestLineOverTheLimit_Returns414Problem_UnderItPasses()
    {
        await using var app = await StartAsync(Limits("MaxRequestLineBytes", "1024"));
        using var client = app.CreateClient();

        var refused = await client.GetAsync("/ok?q=" + new string('a', 1100), Ct);
        var passed = await client.GetAsync("/ok?q=" + new string('a', 900), Ct);

        var problem = await AssertProblemAsync(refused, HttpStatusCode.RequestUriTooLong, ProblemTypes.UriTooLong, "; the limit is 1024.");
        Assert.Equal("Request line too long", problem.GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
    }

    [Fact]
    public async Task RequestLineOverTheDefaultLimit_Returns414Problem_WhereKestrelAloneGaveAnEmpty414()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/ok?q=" + new string('a', 10 * 1024), Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestUriTooLong, ProblemTypes.UriTooLong, "; the limit is 8192.");
    }

    [Fact]
    public async Task LimitsOnAnUnknownPath_AnswerBeforeRouting()
    {
        await using var app = await StartAsync(Limits("MaxRequestHeadersBytes", "4096"));
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/models/nowhere");
        request.Headers.Add("X-Big", new string('a', 5000));

        var response = await client.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge, "the limit is 4096");
    }

    [Theory]
    [InlineData("MaxRequestHeadersBytes", "10")]
    [InlineData("MaxRequestLineBytes", "0")]
    [InlineData("MaxRequestHeaderCount", "-1")]
    public async Task AnInvalidLimit_StopsTheProcessAtStart(string name, string value)
    {
        var failure = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => StartAsync(Limits(name, value)));

        Assert.Contains(name, failure.Message, StringComparison.Ordinal);
    }
}
