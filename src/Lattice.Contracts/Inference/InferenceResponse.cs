using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lattice.Contracts.Inference;

/// <summary>Open Inference Protocol v2 inference response.</summary>
public sealed record InferenceResponse
{
    [JsonPropertyName("model_name")]
    public required string ModelName { get; init; }

    /// <summary>The version that computed the outputs (always set by Lattice).</summary>
    [JsonPropertyName("model_version")]
    public string? ModelVersion { get; init; }

    /// <summary>The request's <c>id</c>, when it had one.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("parameters")]
    public IReadOnlyDictionary<string, JsonElement>? Parameters { get; init; }

    [JsonPropertyName("outputs")]
    public required IReadOnlyList<InferenceResponseOutput> Outputs { get; init; }
}

/// <summary>One output tensor of an inference response (flat, row-major data).</summary>
public sealed record InferenceResponseOutput
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("shape")]
    public required IReadOnlyList<long> Shape { get; init; }

    [JsonPropertyName("datatype")]
    public required string Datatype { get; init; }

    [JsonPropertyName("parameters")]
    public IReadOnlyDictionary<string, JsonElement>? Parameters { get; init; }

    [JsonPropertyName("data")]
    public required JsonElement Data { get; init; }
}

/// <summary>The error body of every failed Open Inference Protocol call.</summary>
public sealed record InferenceErrorResponse([property: JsonPropertyName("error")] string Error);
