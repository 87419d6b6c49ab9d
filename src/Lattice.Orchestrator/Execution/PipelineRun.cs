using System.Text.Json.Nodes;

namespace Lattice.Orchestrator.Execution;

/// <summary>The outcome of one pipeline run: merged output, per-step records, degraded steps.</summary>
public sealed class PipelineRun
{
    public required string Pipeline { get; init; }

    public required string Id { get; init; }

    public JsonNode? Output { get; init; }

    public required IReadOnlyList<StepRecord> Steps { get; init; }

    /// <summary>Steps whose real answer is missing from the output (they fell back or failed while optional).</summary>
    public required IReadOnlyList<string> Degraded { get; init; }

    public double DurationMs { get; init; }

    /// <summary>The first required step that failed, if any: the run is then an error.</summary>
    public StepRecord? FailedRequiredStep { get; init; }
}
