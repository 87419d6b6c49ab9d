using System.Text.Json.Serialization;

namespace Lattice.Contracts.Events;

/// <summary>Explicit, never-reused type names of the events Lattice processes exchange.</summary>
public static class EventTypes
{
    /// <summary>One prediction made by a model service (<see cref="PredictionEvent"/>).</summary>
    public const string Prediction = "lattice.prediction.v1";
}

/// <summary>One prediction, as a model service reports it for monitoring (drift, live accuracy, latency).</summary>
/// <remarks>Changes are additive only: new optional members, never renamed or removed ones.</remarks>
public sealed record PredictionEvent
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = EventTypes.Prediction;

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    /// <summary>True when a shadow version computed it: recorded, never returned to the caller.</summary>
    [JsonPropertyName("shadow")]
    public bool Shadow { get; init; }

    /// <summary>A short summary of the input (text truncated, or the first features).</summary>
    [JsonPropertyName("input")]
    public required string Input { get; init; }

    /// <summary>The best label (classifiers) or the first output value as text.</summary>
    [JsonPropertyName("output")]
    public required string Output { get; init; }

    [JsonPropertyName("score")]
    public float Score { get; init; }

    [JsonPropertyName("latencySeconds")]
    public double LatencySeconds { get; init; }

    [JsonPropertyName("traceId")]
    public string? TraceId { get; init; }

    [JsonPropertyName("timestamp")]
    public DateTimeOffset Timestamp { get; init; }
}
