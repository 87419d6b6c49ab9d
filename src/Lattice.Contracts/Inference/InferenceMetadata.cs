using System.Text.Json.Serialization;

namespace Lattice.Contracts.Inference;

/// <summary>Server metadata (<c>GET /v2</c>).</summary>
public sealed record ServerMetadataResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("extensions")] IReadOnlyList<string> Extensions);

/// <summary>Model metadata (<c>GET /v2/models/{name}[/versions/{v}]</c>).</summary>
public sealed record ModelMetadataResponse
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>Every loaded version that may be requested explicitly.</summary>
    [JsonPropertyName("versions")]
    public IReadOnlyList<string>? Versions { get; init; }

    [JsonPropertyName("platform")]
    public required string Platform { get; init; }

    [JsonPropertyName("inputs")]
    public required IReadOnlyList<MetadataTensor> Inputs { get; init; }

    [JsonPropertyName("outputs")]
    public required IReadOnlyList<MetadataTensor> Outputs { get; init; }
}

/// <summary>Name, datatype and shape of a model input or output; -1 marks a variable dimension.</summary>
public sealed record MetadataTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape);

/// <summary><c>GET /v2/health/live</c>.</summary>
public sealed record ServerLiveResponse([property: JsonPropertyName("live")] bool Live);

/// <summary><c>GET /v2/health/ready</c>.</summary>
public sealed record ServerReadyResponse([property: JsonPropertyName("ready")] bool Ready);

/// <summary><c>GET /v2/models/{name}[/versions/{v}]/ready</c>.</summary>
public sealed record ModelReadyResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ready")] bool Ready);
