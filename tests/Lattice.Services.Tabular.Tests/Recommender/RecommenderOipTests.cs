using System.Net;
using Lattice.Services.Tabular.Tests.Support;

namespace Lattice.Services.Tabular.Tests.Recommender;

public sealed class RecommenderOipTests(RecommenderFixture fixture) : IClassFixture<RecommenderFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Metadata_DescribesTheRecommenderTensorsAndVersions()
    {
        var reply = await _client.GetJsonAsync("/v2/models/recommender");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(["1"], reply.Body.GetProperty("versions").EnumerateArray().Select(v => v.GetString()!));
        Assert.Equal("lattice_lattice-recommender", reply.Body.GetProperty("platform").GetString());
        Assert.Equal(["user", "item", "k"], reply.Body.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
        Assert.Equal(["items", "scores", "source"], reply.Body.GetProperty("outputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
    }

    [Fact]
    public async Task Infer_UsersAsBytes_ReturnsRectangularListsAndSources()
    {
        var reply = await _client.PostAsync("/v2/models/recommender/infer", """
            {"id": "oip-1", "inputs": [
              {"name": "user", "shape": [2], "datatype": "BYTES", "data": ["user-0001", "stranger"]},
              {"name": "k", "shape": [1], "datatype": "INT32", "data": [3]}]}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("recommender", reply.Body.GetProperty("model_name").GetString());
        Assert.Equal("1", reply.Body.GetProperty("model_version").GetString());
        Assert.Equal("oip-1", reply.Body.GetProperty("id").GetString());
        Assert.Equal("1", reply.Header("X-Model-Version"));
        var items = reply.Body.Output("items");
        Assert.Equal([2L, 3L], items.Shape());
        Assert.Equal("BYTES", items.GetProperty("datatype").GetString());
        Assert.All(items.Strings(), i => Assert.StartsWith("item-", i, StringComparison.Ordinal));
        var scores = reply.Body.Output("scores");
        Assert.Equal("FP32", scores.GetProperty("datatype").GetString());
        Assert.Equal(6, scores.Numbers().Length);
        Assert.Equal(["model", "fallback"], reply.Body.Output("source").Strings());
    }

    [Fact]
    public async Task Infer_SameUserOnBothApis_GivesTheSameItems()
    {
        var typed = await _client.PostAsync("/v1/recommendations", """{"user": "user-0005", "k": 4}""");
        var oip = await _client.PostAsync("/v2/models/recommender/infer", """
            {"inputs": [{"name": "user", "shape": [1, 1], "datatype": "BYTES", "data": [["user-0005"]]}, {"name": "k", "shape": [1], "datatype": "INT64", "data": [4]}]}
            """);

        Assert.Equal(HttpStatusCode.OK, oip.Status);
        Assert.Equal(typed.Body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!), oip.Body.Output("items").Strings());
    }

    [Fact]
    public async Task Infer_IntegerIdsAndItemInput_AnswersSimilarItemsWithRequestedOutputOnly()
    {
        var reply = await _client.PostAsync("/v2/models/recommender/versions/1/infer", """
            {"inputs": [{"name": "item", "shape": [1], "datatype": "INT64", "data": [12345]}], "outputs": [{"name": "source"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var output = Assert.Single(reply.Body.GetProperty("outputs").EnumerateArray());
        Assert.Equal(["fallback"], output.Strings());
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u"]}, {"name": "item", "shape": [1], "datatype": "BYTES", "data": ["i"]}]}""")]
    [InlineData("""{"inputs": [{"name": "k", "shape": [1], "datatype": "INT32", "data": [3]}]}""")]
    [InlineData("""{"inputs": [{"name": "users", "shape": [1], "datatype": "BYTES", "data": ["u"]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [2], "datatype": "BYTES", "data": ["u"]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": [7]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": [""]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [0], "datatype": "BYTES", "data": []}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "FP32", "data": [1.5]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u"]}, {"name": "k", "shape": [1], "datatype": "INT32", "data": [0]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u"]}, {"name": "k", "shape": [2], "datatype": "INT32", "data": [1, 2]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u"]}], "outputs": [{"name": "rating"}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "STRING", "data": ["u"]}]}""")]
    [InlineData("""{"inputs": []}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u"]}], "parameters": {"routing_key": 5}}""")]
    [InlineData("""{"id": 5, "inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u"]}]}""")]
    [InlineData("""{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES"}]}""")]
    [InlineData("not json")]
    public async Task Infer_InvalidRequest_Returns400ErrorObject(string json)
    {
        var reply = await _client.PostAsync("/v2/models/recommender/infer", json);

        reply.AssertOipError(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("""{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["user-0001"]}, {"name": "k", "shape": [1], "datatype": "INT64", "data": [5000000000]}""", "MaxK")]
    // Refused from the declared shapes, before the data (which does not match them) is read.
    [InlineData("""{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["user-0001"]}, {"name": "k", "shape": [1000000], "datatype": "INT32", "data": [3]}""", "must hold one integer")]
    [InlineData("""{"name": "user", "shape": [10000000], "datatype": "BYTES", "data": ["u"]}""", "MaxTensorElements")]
    public async Task Infer_BeyondALimit_Returns400ErrorObjectNamingIt(string inputs, string expected)
    {
        var reply = await _client.PostAsync("/v2/models/recommender/infer", $$"""{"inputs": [{{inputs}}]}""");

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Contains(expected, reply.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name": "k", "shape": [1, 1], "datatype": "INT32", "data": [[3]]}""", "Input 'k' must have 1 dimension, as its metadata shape [1] declares; got [1, 1].")]
    [InlineData("""{"name": "k", "shape": [1, 1], "datatype": "INT32", "data": [3]}""", "Input 'k' must have 1 dimension, as its metadata shape [1] declares; got [1, 1].")]
    [InlineData("""{"name": "k", "shape": [], "datatype": "INT32", "data": [3]}""", "Input 'k' must have 1 dimension, as its metadata shape [1] declares; got [].")]
    public async Task Infer_KOfAnotherRankThanDeclared_Returns400ErrorObject(string k, string expected)
    {
        var reply = await _client.PostAsync("/v2/models/recommender/infer", $$"""
            {"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["user-0001"]}, {{k}}]}
            """);

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Equal(expected, reply.Body.GetProperty("error").GetString());
    }

    // [n, 1] ids are a documented form (docs/tabular-services.md), so 'user' and 'item' are not held to their metadata's rank [-1].
    [Theory]
    [InlineData("user")]
    [InlineData("item")]
    public async Task Infer_IdsAsAColumn_AreAnsweredAsRows(string input)
    {
        var reply = await _client.PostAsync("/v2/models/recommender/infer", $$"""
            {"inputs": [{"name": "{{input}}", "shape": [2, 1], "datatype": "BYTES", "data": [["user-0001"], ["item-0042"]]}, {"name": "k", "shape": [1], "datatype": "INT32", "data": [2]}]}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([2L, 2L], reply.Body.Output("items").Shape());
        Assert.Equal(2, reply.Body.Output("source").Strings().Length);
    }

    [Theory]
    [InlineData("""{"name": "user", "shape": [1, 2], "datatype": "BYTES", "data": [["u", "v"]]}""")]
    [InlineData("""{"name": "item", "shape": [1, 1, 1], "datatype": "BYTES", "data": [[["i"]]]}""")]
    [InlineData("""{"name": "user", "shape": [], "datatype": "BYTES", "data": ["u"]}""")]
    public async Task Infer_IdsOfAnotherShapeThanNOrNBy1_Returns400ErrorObject(string ids)
    {
        var reply = await _client.PostAsync("/v2/models/recommender/infer", $$"""{"inputs": [{{ids}}]}""");

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Contains("must have shape [n] or [n, 1]", reply.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FP32", "1.5")]
    [InlineData("FP64", "2")]
    [InlineData("BOOL", "true")]
    public async Task Infer_IdOfANonIdDatatype_Returns400NamingTheAcceptedOnes(string datatype, string value)
    {
        var reply = await _client.PostAsync("/v2/models/recommender/infer",
            $$"""{"inputs": [{"name": "user", "shape": [1], "datatype": "{{datatype}}", "data": [{{value}}]}]}""");

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Equal($"Input 'user' must be BYTES (ids as strings) or an integer datatype (INT64, INT32, ...); got {datatype}.", reply.Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Infer_UnknownVersion_Returns404ErrorObject()
    {
        var reply = await _client.PostAsync("/v2/models/recommender/versions/9/infer", "{}");

        reply.AssertOipError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ModelReady_GenericRoute_StillAnswersForTheTypedModel()
    {
        var reply = await _client.GetJsonAsync("/v2/models/recommender/ready");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Body.GetProperty("ready").GetBoolean());
    }
}
