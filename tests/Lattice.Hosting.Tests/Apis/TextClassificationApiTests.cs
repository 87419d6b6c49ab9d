using System.Net;
using System.Text.Json;
using Lattice.Hosting.Tests.Support;
using Lattice.ServiceDefaults.Problems;

namespace Lattice.Hosting.Tests.Apis;

public sealed class TextClassificationApiTests(DefaultServerFixture sut) : IClassFixture<DefaultServerFixture>
{
    private readonly HttpClient _client = sut.Client;

    [Fact]
    public async Task Classify_Text_ReturnsLabelScoreScoresModelVersionAndId()
    {
        var (status, body, response) = await _client.PostAsync("/v1/sentiment", """{"text": "a positive, positive day"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("positive", body.GetProperty("label").GetString());
        var scores = body.GetProperty("scores").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle());
        Assert.Equal(["negative", "positive"], scores.Keys.Order());
        Assert.Equal(scores["positive"], body.GetProperty("score").GetSingle());
        Assert.Equal(1f, scores.Values.Sum(), 3);
        Assert.Equal("sentiment", body.GetProperty("model").GetString());
        Assert.Equal("2", body.GetProperty("version").GetString());
        Assert.Equal("2", response.Headers.GetValues("X-Model-Version").Single());
        Assert.Equal(32, body.GetProperty("id").GetString()!.Length);
    }

    [Fact]
    public async Task Classify_WithIdOrRequestIdHeader_EchoesIt()
    {
        var (_, withBodyId, _) = await _client.PostAsync("/v1/sentiment", """{"text": "fine", "id": "abc"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sentiment")
        {
            Content = new StringContent("""{"text": "fine"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Request-Id", "from-header");
        var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        var withHeader = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal("abc", withBodyId.GetProperty("id").GetString());
        Assert.Equal("from-header", withHeader.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Classify_VersionQuery_UsesThatVersion()
    {
        var (status, body, _) = await _client.PostAsync("/v1/sentiment?version=1", """{"text": "neutral words"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", body.GetProperty("version").GetString());
        Assert.Equal("negative", body.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Classify_EmptyVersionQuery_PinsNoVersion()
    {
        var (status, body, response) = await _client.PostAsync("/v1/sentiment?version=", """{"text": "neutral words"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEqual("explicit", response.Headers.GetValues("X-Lattice-Route").Single());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task Classify_UnknownVersion_Returns404Problem()
    {
        var (status, body, _) = await _client.PostAsync("/v1/sentiment?version=7", """{"text": "x"}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(ModelServerProblemTypes.VersionNotFound, body.GetProperty("type").GetString());
        Assert.Equal("Model version not found", body.GetProperty("title").GetString());
    }

    [Fact]
    public async Task ClassifyBatch_Texts_ReturnsOneResultPerTextInOrder()
    {
        var (status, body, response) = await _client.PostAsync("/v1/sentiment:batch",
            """{"texts": ["negative", "positive positive", "negative again"], "id": "b1"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["negative", "positive", "negative"], body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("label").GetString()!));
        Assert.Equal("b1", body.GetProperty("id").GetString());
        Assert.Equal("2", body.GetProperty("version").GetString());
        Assert.Equal("2", response.Headers.GetValues("X-Model-Version").Single());
    }

    [Theory]
    [InlineData("/v1/sentiment", "{\"text\": ")]
    [InlineData("/v1/sentiment", "{}")]
    [InlineData("/v1/sentiment", "{\"text\": null}")]
    [InlineData("/v1/sentiment", "{\"text\": 5}")]
    [InlineData("/v1/sentiment", "{\"text\": \"\"}")]
    [InlineData("/v1/sentiment", "null")]
    [InlineData("/v1/sentiment", "")]
    [InlineData("/v1/sentiment", "{\"text\": \"   \"}")]
    [InlineData("/v1/sentiment", "{\"text\": \"\\t\\n\"}")]
    [InlineData("/v1/sentiment:batch", "{\"texts\": [\"a\", \" \\r\\n\"]}")]
    [InlineData("/v1/sentiment:batch", "{\"texts\": []}")]
    [InlineData("/v1/sentiment:batch", "{\"texts\": [\"a\", null]}")]
    [InlineData("/v1/sentiment:batch", "{\"texts\": \"a\"}")]
    public async Task Classify_BadInput_Returns400ProblemDetails(string path, string json)
    {
        var (status, body, response) = await _client.PostAsync(path, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ModelServerProblemTypes.InvalidInput, body.GetProperty("type").GetString());
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.True(body.TryGetProperty("traceId", out _));
    }

    [Theory]
    [InlineData("/v1/sentiment", "application/json; charset=utf-16")]
    [InlineData("/v1/sentiment", "application/json; charset=\"UTF-16\"")]
    [InlineData("/v1/sentiment", "application/json;charset=ISO-8859-1")]
    [InlineData("/v1/sentiment:batch", "application/json; charset=utf-32")]
    public async Task Classify_JsonInAnotherCharset_Returns415ProblemDetails(string path, string contentType)
    {
        var (status, body, response) = await _client.PostAsync(path, """{"text": "fine", "texts": ["fine"]}""", contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ProblemTypes.UnsupportedMediaType, body.GetProperty("type").GetString());
        Assert.Equal(ProblemTitles.UnsupportedMediaType, body.GetProperty("title").GetString());
        Assert.StartsWith("Only UTF-8 JSON is accepted", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Accept-Encoding")); // not a content coding problem
    }

    [Theory]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=us-ascii")]
    [InlineData("application/json")]
    public async Task Classify_JsonInUtf8OrAscii_IsClassified(string contentType)
    {
        var (status, body, _) = await _client.PostAsync("/v1/sentiment", """{"text": "fine"}""", contentType);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sentiment", body.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("/v1/sentiment", "{\"text\":\"\xff\xfe\"}")]
    [InlineData("/v1/sentiment", "{\"text\":\"\\ud800\"}")]
    [InlineData("/v1/sentiment", "{\"text\":\"ok\",\"id\":\"\\udc00\"}")]
    [InlineData("/v1/sentiment:batch", "{\"texts\":[\"\xff\xfe\"]}")]
    [InlineData("/v1/sentiment:batch", "{\"texts\":[\"\\ud800\"]}")]
    public async Task Classify_StringThatIsNotText_Returns400ProblemDetails(string path, string body)
    {
        // Each char of the data is one byte: \xFF and \xFE are never UTF-8, and "\\u..." is a JSON escape of a lone surrogate.
        using var content = new ByteArrayContent(body.Select(c => (byte)c).ToArray());
        content.Headers.ContentType = new("application/json");

        var response = await _client.PostAsync(path, content, TestContext.Current.CancellationToken);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ModelServerProblemTypes.InvalidInput, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTypedAndOipRoutes()
    {
        var (status, body, _) = await _client.GetJsonAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, status);
        var paths = body.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/sentiment", paths);
        Assert.Contains("/v1/sentiment:batch", paths);
        Assert.Contains("/v2/models/{model}/infer", paths);
        Assert.Contains("/v2/models/{model}/versions/{version}/infer", paths);
        var schemas = body.GetProperty("components").GetProperty("schemas").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("TextClassificationRequest", schemas);
        Assert.Contains("TextClassificationResponse", schemas);
        Assert.Contains("InferenceRequest", schemas);
    }

    [Fact]
    public async Task UnknownRoute_IsStillProblemDetails()
    {
        var (status, body, _) = await _client.GetJsonAsync("/v1/nothing-here");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(ProblemTypes.NotFound, body.GetProperty("type").GetString());
    }
}
