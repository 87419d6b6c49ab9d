using System.Net;
using System.Text.Json;
using Lattice.Services.Tabular.Tests.Support;

namespace Lattice.Services.Tabular.Tests.Recommender;

public sealed class RecommenderApiTests(RecommenderFixture fixture) : IClassFixture<RecommenderFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Recommend_KnownUser_ReturnsKDistinctItemsBestFirstFromTheModel()
    {
        var reply = await _client.PostAsync("/v1/recommendations", """{"user": "user-0001", "k": 5, "id": "r-1"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var items = reply.Body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(5, items.Count);
        Assert.Equal(5, items.Select(i => i.GetProperty("item").GetString()).Distinct().Count());
        var scores = items.Select(i => i.GetProperty("score").GetSingle()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal("model", reply.Body.GetProperty("source").GetString());
        Assert.Equal("user-0001", reply.Body.GetProperty("user").GetString());
        Assert.Equal("recommender", reply.Body.GetProperty("model").GetString());
        Assert.Equal("1", reply.Body.GetProperty("version").GetString());
        Assert.Equal("r-1", reply.Body.GetProperty("id").GetString());
        Assert.Equal("1", reply.Header("X-Model-Version"));
        Assert.Equal("default", reply.Header("X-Lattice-Route"));
    }

    [Fact]
    public async Task Recommend_WithoutK_ReturnsTheDefaultTen()
    {
        var reply = await _client.PostAsync("/v1/recommendations", """{"user": "user-0002"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(10, reply.Body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Recommend_UnknownUser_AnswersWithPopularItemsMarkedFallback()
    {
        var reply = await _client.PostAsync("/v1/recommendations", """{"user": "nobody-we-know", "k": 3}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("fallback", reply.Body.GetProperty("source").GetString());
        Assert.Equal(3, reply.Body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task SimilarItems_KnownItem_ExcludesTheItemAndComesFromTheModel()
    {
        var reply = await _client.PostAsync("/v1/similar-items", """{"item": "item-0042", "k": 4}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var items = reply.Body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()).ToList();
        Assert.Equal(4, items.Count);
        Assert.DoesNotContain("item-0042", items);
        Assert.Equal("model", reply.Body.GetProperty("source").GetString());
        Assert.Equal("item-0042", reply.Body.GetProperty("item").GetString());
        Assert.Equal("1", reply.Header("X-Model-Version"));
    }

    [Fact]
    public async Task SimilarItems_UnknownItem_AnswersWithFallback()
    {
        var reply = await _client.PostAsync("/v1/similar-items", """{"item": "item-9999"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("fallback", reply.Body.GetProperty("source").GetString());
        Assert.Equal(10, reply.Body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task PredictRating_KnownPair_IsOnTheRatingScaleFromTheModel()
    {
        var reply = await _client.PostAsync("/v1/ratings:predict", """{"user": "user-0001", "item": "item-0042"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.InRange(reply.Body.GetProperty("rating").GetSingle(), 1f, 5f);
        Assert.Equal("model", reply.Body.GetProperty("source").GetString());
        Assert.True(reply.Body.GetProperty("knownUser").GetBoolean());
        Assert.True(reply.Body.GetProperty("knownItem").GetBoolean());
        Assert.Equal("1", reply.Body.GetProperty("version").GetString());
    }

    [Fact]
    public async Task PredictRating_UnknownUser_FallsBackAndSaysWhichSideWasUnknown()
    {
        var reply = await _client.PostAsync("/v1/ratings:predict", """{"user": "newcomer", "item": "item-0042"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("fallback", reply.Body.GetProperty("source").GetString());
        Assert.False(reply.Body.GetProperty("knownUser").GetBoolean());
        Assert.True(reply.Body.GetProperty("knownItem").GetBoolean());
    }

    [Theory]
    [InlineData("/v1/recommendations", "{}")]
    [InlineData("/v1/recommendations", """{"user": null}""")]
    [InlineData("/v1/recommendations", """{"user": 42}""")]
    [InlineData("/v1/recommendations", """{"user": ""}""")]
    [InlineData("/v1/recommendations", """{"user": "   "}""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001", "k": 0}""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001", "k": -3}""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001", "k": "5"}""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001", "k": 2.5}""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001", "k": 1e12}""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001"} trailing""")]
    [InlineData("/v1/recommendations", """["user-0001"]""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001",""")]
    [InlineData("/v1/recommendations", "")]
    [InlineData("/v1/similar-items", """{"user": "user-0001"}""")]
    [InlineData("/v1/similar-items", """{"item": ["item-0001"]}""")]
    [InlineData("/v1/ratings:predict", """{"user": "user-0001"}""")]
    [InlineData("/v1/ratings:predict", """{"user": "user-0001", "item": ""}""")]
    public async Task Endpoints_InvalidInput_Return400InvalidInput(string path, string json)
    {
        var reply = await _client.PostAsync(path, json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
    }

    [Theory]
    [InlineData("""{"user": "user-0001", "k": 2.5}""", "The body is not a valid request: 'k' has the wrong type or format.")]
    [InlineData("""{"user": "user-0001", "k": "5"}""", "The body is not a valid request: 'k' has the wrong type or format.")]
    [InlineData("""{"user": null}""", "The body is not a valid request: 'user' must not be null.")]
    [InlineData("""{"user": 7}""", "The body is not a valid request: 'user' has the wrong type or format.")]
    [InlineData("""{"user": "\ud800"}""", "The body is not a valid request: 'user' is not valid Unicode text (invalid UTF-8, or an escaped unpaired surrogate).")]
    public async Task Recommendations_WrongTypedField_Returns400NamingTheFieldWithoutDotNetTypes(string json, string detail)
    {
        var reply = await _client.PostAsync("/v1/recommendations", json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
        Assert.Equal(detail, reply.Body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/v1/recommendations", """{"user": "user-0001", "k": 101}""")]
    [InlineData("/v1/recommendations", """{"user": "user-0001", "k": 2000000000}""")]
    [InlineData("/v1/similar-items", """{"item": "item-0001", "k": 100000}""")]
    public async Task Endpoints_HugeK_Return400LimitExceeded(string path, string json)
    {
        var reply = await _client.PostAsync(path, json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.LimitExceeded);
        Assert.Contains("MaxK", reply.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recommend_IdLongerThanTheTextLimit_Returns400LimitExceeded()
    {
        var reply = await _client.PostAsync("/v1/recommendations", JsonSerializer.Serialize(new { user = new string('u', 10_001) }));

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.LimitExceeded);
    }

    [Fact]
    public async Task Recommend_DeeplyNestedJson_Returns400LimitExceeded()
    {
        var json = """{"user": "user-0001", "extra": """ + new string('[', 40) + new string(']', 40) + "}";

        var reply = await _client.PostAsync("/v1/recommendations", json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.LimitExceeded);
    }

    [Fact]
    public async Task Recommend_UnknownVersion_Returns404VersionNotFound()
    {
        var reply = await _client.PostAsync("/v1/recommendations?version=7", """{"user": "user-0001"}""");

        reply.AssertProblem(HttpStatusCode.NotFound, "https://lattice.dev/problems/model-version-not-found");
    }
}
