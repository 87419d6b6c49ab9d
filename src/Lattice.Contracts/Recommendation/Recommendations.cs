using System.Text.Json.Serialization;

namespace Lattice.Contracts.Recommendation;

/// <summary>Where a recommendation came from: <c>model</c> (the user or item is known) or <c>fallback</c> (popularity or biases).</summary>
public static class RecommendationSources
{
    public const string Model = "model";
    public const string Fallback = "fallback";
}

/// <summary><c>POST /v1/recommendations</c>: the best items for a user that the user has not rated.</summary>
public sealed record RecommendationRequest
{
    [JsonPropertyName("user")]
    public required string User { get; init; }

    /// <summary>How many items; the service's default when omitted.</summary>
    [JsonPropertyName("k")]
    public int? K { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary><c>POST /v1/similar-items</c>: the items most similar to an item.</summary>
public sealed record SimilarItemsRequest
{
    [JsonPropertyName("item")]
    public required string Item { get; init; }

    [JsonPropertyName("k")]
    public int? K { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary><c>POST /v1/ratings:predict</c>: the rating a user would give an item.</summary>
public sealed record RatingPredictionRequest
{
    [JsonPropertyName("user")]
    public required string User { get; init; }

    [JsonPropertyName("item")]
    public required string Item { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary>One recommended item: a predicted rating (model), a similarity (similar items) or a popularity in [0, 1] (fallback).</summary>
public sealed record RecommendedItem(
    [property: JsonPropertyName("item")] string Item,
    [property: JsonPropertyName("score")] float Score);

/// <summary>The best items for a user, best first, and the version that chose them.</summary>
public sealed record RecommendationResponse
{
    [JsonPropertyName("user")]
    public required string User { get; init; }

    [JsonPropertyName("items")]
    public required IReadOnlyList<RecommendedItem> Items { get; init; }

    /// <summary>One of <see cref="RecommendationSources"/>.</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}

/// <summary>The items most similar to an item, most similar first.</summary>
public sealed record SimilarItemsResponse
{
    [JsonPropertyName("item")]
    public required string Item { get; init; }

    [JsonPropertyName("items")]
    public required IReadOnlyList<RecommendedItem> Items { get; init; }

    [JsonPropertyName("source")]
    public required string Source { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}

/// <summary>A predicted rating, clipped to the model's rating scale, and whether the model knew the user and the item.</summary>
public sealed record RatingPredictionResponse
{
    [JsonPropertyName("user")]
    public required string User { get; init; }

    [JsonPropertyName("item")]
    public required string Item { get; init; }

    [JsonPropertyName("rating")]
    public required float Rating { get; init; }

    /// <summary><c>model</c> when both are known, else <c>fallback</c> (global mean plus the known bias).</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    [JsonPropertyName("knownUser")]
    public required bool KnownUser { get; init; }

    [JsonPropertyName("knownItem")]
    public required bool KnownItem { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}
