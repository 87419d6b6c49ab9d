using System.Text.Json.Serialization;

namespace Lattice.Contracts.Fraud;

/// <summary>The fraud service's decisions.</summary>
public static class FraudDecisions
{
    /// <summary>The score is at or above the threshold.</summary>
    public const string Fraud = "fraud";

    /// <summary>The score is below the threshold.</summary>
    public const string Legitimate = "legitimate";
}

/// <summary>A card transaction in the fraud service's schema (validation rules in docs/tabular-services.md).</summary>
/// <remarks>Not sealed: the single-transaction request is a transaction plus request options, so the fields are declared once.</remarks>
public record FraudTransactionData
{
    /// <summary>Amount in <see cref="Currency"/>, greater than 0.</summary>
    [JsonPropertyName("amount")]
    public required double Amount { get; init; }

    /// <summary>ISO 4217 code.</summary>
    [JsonPropertyName("currency")]
    public required string Currency { get; init; }

    [JsonPropertyName("merchantCategory")]
    public required string MerchantCategory { get; init; }

    /// <summary>ISO 3166-1 alpha-2 code of the merchant.</summary>
    [JsonPropertyName("country")]
    public required string Country { get; init; }

    /// <summary>ISO 3166-1 alpha-2 code of the cardholder.</summary>
    [JsonPropertyName("homeCountry")]
    public required string HomeCountry { get; init; }

    /// <summary>Local hour, 0-23.</summary>
    [JsonPropertyName("hour")]
    public required int Hour { get; init; }

    [JsonPropertyName("cardAgeDays")]
    public required int CardAgeDays { get; init; }

    /// <summary>Velocity: the card's transactions in the previous 24 hours.</summary>
    [JsonPropertyName("transactionsLast24Hours")]
    public required int TransactionsLast24Hours { get; init; }

    [JsonPropertyName("distanceFromHomeKm")]
    public required double DistanceFromHomeKm { get; init; }

    /// <summary>False for online and phone transactions.</summary>
    [JsonPropertyName("cardPresent")]
    public required bool CardPresent { get; init; }

    /// <summary>The card's 30-day average amount in <see cref="Currency"/>; 0 (the default) when unknown.</summary>
    [JsonPropertyName("averageAmount30Days")]
    public double AverageAmount30Days { get; init; }
}

/// <summary><c>POST /v1/fraud:score</c>: one transaction, with options.</summary>
public sealed record FraudScoreRequest : FraudTransactionData
{
    /// <summary>Whether to compute the top contributing features (TreeSHAP); false takes the cheaper score-only path. Default true.</summary>
    [JsonPropertyName("explain")]
    public bool? Explain { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary><c>POST /v1/fraud:batchScore</c>: several transactions, one version scores them all.</summary>
public sealed record FraudBatchScoreRequest
{
    [JsonPropertyName("transactions")]
    public required IReadOnlyList<FraudTransactionData> Transactions { get; init; }

    /// <summary>As on the single form; default true.</summary>
    [JsonPropertyName("explain")]
    public bool? Explain { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary>How much one schema feature pushed the score, in log-odds (positive: towards fraud).</summary>
public sealed record FraudFeatureContribution(
    [property: JsonPropertyName("feature")] string Feature,
    [property: JsonPropertyName("contribution")] double Contribution);

/// <summary>One scored transaction.</summary>
/// <remarks>Not sealed: the single-transaction response is a result plus the model, version and id.</remarks>
public record FraudScoreResult
{
    /// <summary>Fraud probability in [0, 1].</summary>
    [JsonPropertyName("score")]
    public required double Score { get; init; }

    /// <summary>One of <see cref="FraudDecisions"/>.</summary>
    [JsonPropertyName("decision")]
    public required string Decision { get; init; }

    /// <summary>The threshold the decision used.</summary>
    [JsonPropertyName("threshold")]
    public required double Threshold { get; init; }

    /// <summary>The features that moved the score most, by |contribution|; absent when explanations were not requested.</summary>
    [JsonPropertyName("topFeatures")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<FraudFeatureContribution>? TopFeatures { get; init; }
}

/// <summary>The answer to <c>POST /v1/fraud:score</c>.</summary>
public sealed record FraudScoreResponse : FraudScoreResult
{
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}

/// <summary>The answer to <c>POST /v1/fraud:batchScore</c>: one result per transaction, in request order.</summary>
public sealed record FraudBatchScoreResponse
{
    [JsonPropertyName("results")]
    public required IReadOnlyList<FraudScoreResult> Results { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}
