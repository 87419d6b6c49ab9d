using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lattice.Services.Tabular.Tests.Support;

namespace Lattice.Services.Tabular.Tests.Fraud;

public sealed class FraudApiTests(FraudFixture fixture) : IClassFixture<FraudFixture>
{
    /// <summary>A stolen card: 30 times the usual amount, online electronics at 3 am, abroad in a high-risk country (a generated fraud pattern).</summary>
    internal const string StolenCard = """
        {"amount": 1899.00, "currency": "USD", "merchantCategory": "electronics", "country": "NG", "homeCountry": "US",
         "hour": 3, "cardAgeDays": 12, "transactionsLast24Hours": 9, "distanceFromHomeKm": 9500, "cardPresent": false, "averageAmount30Days": 60}
        """;

    /// <summary>An everyday purchase: groceries near home, card present, an ordinary amount.</summary>
    internal const string Groceries = """
        {"amount": 42.50, "currency": "EUR", "merchantCategory": "grocery", "country": "DE", "homeCountry": "DE",
         "hour": 18, "cardAgeDays": 900, "transactionsLast24Hours": 2, "distanceFromHomeKm": 3, "cardPresent": true, "averageAmount30Days": 55}
        """;

    private static readonly string[] SchemaFeatures =
        ["amount", "amount_vs_average", "hour", "card_age_days", "transactions_last_24_hours", "distance_from_home_km", "card_present", "country", "merchant_category"];

    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Score_StolenCardPattern_IsFraudWithTopFeaturesAndVersion()
    {
        var reply = await _client.PostAsync("/v1/fraud:score", With(StolenCard, "id", "tx-1"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var score = reply.Body.GetProperty("score").GetDouble();
        var threshold = reply.Body.GetProperty("threshold").GetDouble();
        Assert.True(score >= threshold, $"score {score} below threshold {threshold}");
        Assert.Equal("fraud", reply.Body.GetProperty("decision").GetString());
        var top = reply.Body.GetProperty("topFeatures").EnumerateArray().ToList();
        Assert.Equal(3, top.Count);
        Assert.All(top, f => Assert.Contains(f.GetProperty("feature").GetString(), SchemaFeatures));
        var sizes = top.Select(f => Math.Abs(f.GetProperty("contribution").GetDouble())).ToList();
        Assert.Equal(sizes.OrderDescending(), sizes);
        Assert.Equal("fraud", reply.Body.GetProperty("model").GetString());
        Assert.Equal("1", reply.Body.GetProperty("version").GetString());
        Assert.Equal("tx-1", reply.Body.GetProperty("id").GetString());
        Assert.Equal("1", reply.Header("X-Model-Version"));
    }

    [Fact]
    public async Task Score_EverydayPurchase_IsLegitimateAtTheModelThreshold()
    {
        var reply = await _client.PostAsync("/v1/fraud:score", Groceries);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("legitimate", reply.Body.GetProperty("decision").GetString());
        Assert.True(reply.Body.GetProperty("score").GetDouble() < reply.Body.GetProperty("threshold").GetDouble());
        Assert.Equal(0.645, reply.Body.GetProperty("threshold").GetDouble(), 3);
    }

    [Fact]
    public async Task Score_WithoutExplanation_OmitsTopFeaturesAndGivesTheSameScore()
    {
        var explained = await _client.PostAsync("/v1/fraud:score", StolenCard);
        var cheap = await _client.PostAsync("/v1/fraud:score", With(StolenCard, "explain", false));

        Assert.Equal(HttpStatusCode.OK, cheap.Status);
        Assert.False(cheap.Body.TryGetProperty("topFeatures", out _));
        Assert.Equal(explained.Body.GetProperty("score").GetDouble(), cheap.Body.GetProperty("score").GetDouble(), 9);
        Assert.Equal(explained.Body.GetProperty("decision").GetString(), cheap.Body.GetProperty("decision").GetString());
    }

    [Fact]
    public async Task BatchScore_TwoTransactions_OneResultEachInOrderFromOneVersion()
    {
        var reply = await _client.PostAsync("/v1/fraud:batchScore", $$"""{"transactions": [{{StolenCard}}, {{Groceries}}], "explain": false, "id": "b-1"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var results = reply.Body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["fraud", "legitimate"], results.Select(r => r.GetProperty("decision").GetString()!));
        Assert.All(results, r => Assert.False(r.TryGetProperty("topFeatures", out _)));
        Assert.Equal("1", reply.Body.GetProperty("version").GetString());
        Assert.Equal("b-1", reply.Body.GetProperty("id").GetString());
    }

    [Fact]
    public async Task BatchScore_Explained_ListsTopFeaturesPerTransaction()
    {
        var reply = await _client.PostAsync("/v1/fraud:batchScore", $$"""{"transactions": [{{Groceries}}]}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(3, reply.Body.GetProperty("results")[0].GetProperty("topFeatures").GetArrayLength());
    }

    [Theory]
    [InlineData("amount", -1)]
    [InlineData("amount", 0)]
    [InlineData("amount", 1e300)]
    [InlineData("hour", 24)]
    [InlineData("hour", -1)]
    [InlineData("cardAgeDays", -5)]
    [InlineData("transactionsLast24Hours", 1000000)]
    [InlineData("distanceFromHomeKm", 50000)]
    [InlineData("averageAmount30Days", -1)]
    [InlineData("currency", "XYZ")]
    [InlineData("country", "USA")]
    [InlineData("homeCountry", "1A")]
    [InlineData("merchantCategory", null)]
    [InlineData("amount", "12.5")]
    [InlineData("amount", "NaN")]
    [InlineData("amount", "Infinity")]
    [InlineData("hour", 3.5)]
    [InlineData("cardPresent", "yes")]
    [InlineData("explain", "no")]
    public async Task Score_InvalidField_Returns400InvalidInput(string field, object? value)
    {
        var reply = await _client.PostAsync("/v1/fraud:score", With(StolenCard, field, value));

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
    }

    [Theory]
    [InlineData("""{"amount": 1e999, "currency": "USD", "merchantCategory": "fuel", "country": "US", "homeCountry": "US", "hour": 1, "cardAgeDays": 1, "transactionsLast24Hours": 1, "distanceFromHomeKm": 1, "cardPresent": true}""")]
    [InlineData("""{"amount": NaN, "currency": "USD", "merchantCategory": "fuel", "country": "US", "homeCountry": "US", "hour": 1, "cardAgeDays": 1, "transactionsLast24Hours": 1, "distanceFromHomeKm": 1, "cardPresent": true}""")]
    [InlineData("""{"currency": "USD", "merchantCategory": "fuel", "country": "US", "homeCountry": "US", "hour": 1, "cardAgeDays": 1, "transactionsLast24Hours": 1, "distanceFromHomeKm": 1, "cardPresent": true}""")]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task Score_MalformedOrIncompleteBody_Returns400InvalidInput(string json)
    {
        var reply = await _client.PostAsync("/v1/fraud:score", json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
    }

    [Theory]
    [InlineData(1e-40, true)]
    [InlineData(1e-40, false)]
    [InlineData(5e-324, true)]
    [InlineData(1e-300, false)]
    public async Task Score_AverageSoSmallTheAmountRatioOverflows_Returns400InvalidInput(double average, bool explain)
    {
        // amount / averageAmount30Days is encoded as a float: 1899 / 1e-40 is beyond its range (was a 500 from the trees).
        var reply = await _client.PostAsync("/v1/fraud:score", With(With(StolenCard, "averageAmount30Days", average), "explain", explain));

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
        Assert.Contains("averageAmount30Days", reply.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_SmallAverageWhoseRatioFits_IsScored()
    {
        var reply = await _client.PostAsync("/v1/fraud:score", With(StolenCard, "averageAmount30Days", 1e-30));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("fraud", reply.Body.GetProperty("decision").GetString());
    }

    [Fact]
    public async Task BatchScore_TransactionWhoseAmountRatioOverflows_IsRefusedWithItsIndex()
    {
        var reply = await _client.PostAsync("/v1/fraud:batchScore", $$"""{"transactions": [{{Groceries}}, {{With(Groceries, "averageAmount30Days", 1e-40)}}], "explain": false}""");

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
        Assert.StartsWith("transactions[1]: averageAmount30Days", reply.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"transactions": []}""")]
    [InlineData("""{"transactions": [null]}""")]
    [InlineData("""{"transactions": {}}""")]
    [InlineData("""{"explain": true}""")]
    public async Task BatchScore_InvalidBatch_Returns400InvalidInput(string json)
    {
        var reply = await _client.PostAsync("/v1/fraud:batchScore", json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
    }

    [Fact]
    public async Task BatchScore_OneInvalidTransaction_NamesItsIndex()
    {
        var reply = await _client.PostAsync("/v1/fraud:batchScore", $$"""{"transactions": [{{Groceries}}, {{With(Groceries, "hour", 99)}}]}""");

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
        Assert.StartsWith("transactions[1]", reply.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchScore_MoreThanMaxBatchSize_Returns400LimitExceeded()
    {
        var many = string.Join(", ", Enumerable.Repeat(Groceries, 257));

        var reply = await _client.PostAsync("/v1/fraud:batchScore", $$"""{"transactions": [{{many}}]}""");

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.LimitExceeded);
    }

    [Fact]
    public async Task Score_BodyOverTheLimit_Returns413()
    {
        var reply = await _client.PostAsync("/v1/fraud:score", With(StolenCard, "padding", new string('x', 2 * 1024 * 1024)));

        reply.AssertProblem(HttpStatusCode.RequestEntityTooLarge, "https://lattice.dev/problems/payload-too-large");
    }

    /// <summary>The transaction with one member set (or removed, for null), as JSON.</summary>
    internal static string With(string json, string field, object? value)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node[field] = value is null ? null : JsonSerializer.SerializeToNode(value);
        if (value is double number && !double.IsFinite(number))
        {
            node[field] = JsonValue.Create(number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return node.ToJsonString();
    }
}
