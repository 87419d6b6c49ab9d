using System.Text.Json.Nodes;
using Lattice.Orchestrator.Pipelines;

namespace Lattice.Orchestrator.Apis;

/// <summary>A pipeline as <c>GET /v1/pipelines</c> shows it: inputs, steps, DAG edges and parallel stages.</summary>
public sealed record PipelineDescription(
    string Name,
    string? Description,
    double DeadlineMs,
    IReadOnlyList<InputFieldDescription> Input,
    IReadOnlyList<StepDescription> Steps,
    IReadOnlyList<DagEdge> Edges,
    IReadOnlyList<IReadOnlyList<string>> Stages)
{
    public static PipelineDescription From(PipelineDefinition pipeline) => new(
        pipeline.Name,
        pipeline.Description,
        pipeline.Deadline.TotalMilliseconds,
        [.. pipeline.Input.Select(f => new InputFieldDescription(f.Name, f.Type.ToString().ToLowerInvariant(), f.Required, f.MaxLength, f.Description, f.MinLength))],
        [.. pipeline.Steps.Select(s => new StepDescription(
            s.Id, s.Description, s.Service, s.Path, s.Required, s.Timeout.TotalMilliseconds, s.When?.Source, s.DependsOn,
            s.Value is null ? s.Input.Describe() : null, s.Fallback?.Describe(), s.Value?.Describe()))],
        [.. pipeline.Steps.SelectMany(s => s.DependsOn.Select(d => new DagEdge(d, s.Id)))],
        pipeline.Stages);
}

public sealed record InputFieldDescription(string Name, string Type, bool Required, int? MaxLength, string? Description, int? MinLength = null);

public sealed record StepDescription(
    string Id, string? Description, string? Service, string? Path, bool Required, double TimeoutMs, string? When,
    IReadOnlyList<string> DependsOn, JsonNode? Input, JsonNode? Fallback, JsonNode? Value);

public sealed record DagEdge(string From, string To);

/// <summary>The body of a successful run.</summary>
public sealed record PipelineResponse(
    string Pipeline, string Id, JsonNode? Output, IReadOnlyList<Execution.StepRecord> Steps, IReadOnlyList<string> Degraded, double DurationMs);
