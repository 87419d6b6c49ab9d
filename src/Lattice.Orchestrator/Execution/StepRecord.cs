using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Lattice.Orchestrator.Execution;

/// <summary>How a step ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StepStatus>))]
public enum StepStatus
{
    /// <summary>The service answered 2xx; its body is the step's output.</summary>
    [JsonStringEnumMemberName("ok")]
    Ok,

    /// <summary>The call failed and the step had no fallback.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Its <c>when</c> was false, or a required step failed (before it ran, or while it ran: its call is cancelled).</summary>
    [JsonStringEnumMemberName("skipped")]
    Skipped,

    /// <summary>The call failed and the declared fallback value was used.</summary>
    [JsonStringEnumMemberName("fallback")]
    Fallback,
}

/// <summary>Why a call failed, when it did.</summary>
public enum StepFailure
{
    None,
    Timeout,
    Unreachable,
    UpstreamError,
    InvalidResponse,

    /// <summary>The call was cancelled because a required step failed or the client hung up.</summary>
    Cancelled,
}

/// <summary>The execution record of one step in one run.</summary>
public sealed class StepRecord
{
    public required string Id { get; init; }

    /// <summary>The service called; null for a value step.</summary>
    public string? Service { get; init; }

    public required StepStatus Status { get; init; }

    public double LatencyMs { get; init; }

    /// <summary>The model version the service reported (body <c>version</c> or a version header).</summary>
    public string? Version { get; init; }

    public string? Error { get; init; }

    [JsonIgnore]
    public StepFailure Failure { get; init; }

    [JsonIgnore]
    public JsonNode? Output { get; init; }

    [JsonIgnore]
    public bool Required { get; init; }
}
