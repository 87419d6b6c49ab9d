using System.Text.Json.Serialization;

namespace Lattice.Contracts.Text;

/// <summary>Typed request of a text classification service, e.g. <c>POST /v1/sentiment</c>.</summary>
public sealed record TextClassificationRequest
{
    /// <summary>The text to classify.</summary>
    [JsonPropertyName("text")]
    public required string Text { get; init; }

    /// <summary>Optional caller identifier, echoed in the response.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary>Typed batch request, e.g. <c>POST /v1/sentiment:batch</c>.</summary>
public sealed record TextClassificationBatchRequest
{
    [JsonPropertyName("texts")]
    public required IReadOnlyList<string> Texts { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary>The best label, its probability, every label's probability, and the model version that answered.</summary>
public sealed record TextClassificationResponse
{
    [JsonPropertyName("label")]
    public required string Label { get; init; }

    [JsonPropertyName("score")]
    public required float Score { get; init; }

    [JsonPropertyName("scores")]
    public required IReadOnlyDictionary<string, float> Scores { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}

/// <summary>One result of a batch, in request order.</summary>
public sealed record TextClassificationResult
{
    [JsonPropertyName("label")]
    public required string Label { get; init; }

    [JsonPropertyName("score")]
    public required float Score { get; init; }

    [JsonPropertyName("scores")]
    public required IReadOnlyDictionary<string, float> Scores { get; init; }
}

/// <summary>Typed batch response: one result per text, all computed by the same version.</summary>
public sealed record TextClassificationBatchResponse
{
    [JsonPropertyName("results")]
    public required IReadOnlyList<TextClassificationResult> Results { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}
