using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lattice.Contracts.Inference;

/// <summary>Open Inference Protocol v2 inference request (<c>POST /v2/models/{name}[/versions/{v}]/infer</c>).</summary>
public sealed record InferenceRequest
{
    /// <summary>Optional request identifier, echoed in the response.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>Request parameters: name to string, number or boolean.</summary>
    [JsonPropertyName("parameters")]
    public IReadOnlyDictionary<string, JsonElement>? Parameters { get; init; }

    /// <summary>The input tensors.</summary>
    [JsonPropertyName("inputs")]
    public required IReadOnlyList<InferenceRequestInput> Inputs { get; init; }

    /// <summary>The outputs to return; all outputs when omitted.</summary>
    [JsonPropertyName("outputs")]
    public IReadOnlyList<InferenceRequestOutput>? Outputs { get; init; }
}

/// <summary>One input tensor of an inference request; <see cref="Data"/> is row-major, flat or nested.</summary>
public sealed record InferenceRequestInput
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("shape")]
    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>One of <see cref="InferenceDatatypes"/>.</summary>
    [JsonPropertyName("datatype")]
    public required string Datatype { get; init; }

    [JsonPropertyName("parameters")]
    public IReadOnlyDictionary<string, JsonElement>? Parameters { get; init; }

    [JsonPropertyName("data")]
    public required JsonElement Data { get; init; }
}

/// <summary>An output requested by name.</summary>
public sealed record InferenceRequestOutput
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("parameters")]
    public IReadOnlyDictionary<string, JsonElement>? Parameters { get; init; }
}
