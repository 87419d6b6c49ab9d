using System.Text.Json.Nodes;
using Lattice.Orchestrator.Expressions;

namespace Lattice.Orchestrator.Pipelines;

/// <summary>A validated pipeline: a DAG of steps, each calling one service's typed API.</summary>
public sealed class PipelineDefinition
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>Where the definition came from, for messages.</summary>
    public required string SourcePath { get; init; }

    /// <summary>The whole run must finish within this; steps still running are cancelled.</summary>
    public required TimeSpan Deadline { get; init; }

    public required IReadOnlyList<InputField> Input { get; init; }

    /// <summary>Steps in a topological order (every step after the steps it depends on).</summary>
    public required IReadOnlyList<StepDefinition> Steps { get; init; }

    /// <summary>The response's <c>output</c>; null means "each step's output under its id".</summary>
    public ValueTemplate? Output { get; init; }

    /// <summary>Constant lookup tables, readable as <c>$.tables.&lt;name&gt;</c>.</summary>
    public JsonObject? Tables { get; init; }

    /// <summary>Steps grouped by depth: every step of a stage can run in parallel once earlier stages are done.</summary>
    public required IReadOnlyList<IReadOnlyList<string>> Stages { get; init; }

    /// <summary>Name of a run's span, built once.</summary>
    internal string ActivityName => field ??= "pipeline " + Name;
}

/// <summary>One declared input field of a pipeline request.</summary>
public sealed record InputField(string Name, InputType Type, bool Required, int? MaxLength, string? Description, int? MinLength = null);

/// <summary>The JSON type an input field must have.</summary>
public enum InputType
{
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Any,
}

/// <summary>
/// One step: call <see cref="Service"/> at <see cref="Path"/> with <see cref="Input"/>, or, for a value
/// step, compute <see cref="Value"/> from earlier outputs (a transform, like a KServe graph's switch node).
/// </summary>
public sealed class StepDefinition
{
    public required string Id { get; init; }

    public string? Description { get; init; }

    /// <summary>Logical service name, resolved through service discovery; null for a value step.</summary>
    public string? Service { get; init; }

    /// <summary>The typed API path called with POST, e.g. <c>/v1/sentiment</c>; null for a value step.</summary>
    public string? Path { get; init; }

    /// <summary>The logical address called, <c>http://{Service}{Path}</c> (service discovery resolves the host); built once.</summary>
    public Uri Address => _address ??= new Uri("http://" + Service + Path);

    private Uri? _address;

    /// <summary>A value step computes its output from this template instead of calling a service.</summary>
    public ValueTemplate? Value { get; init; }

    public required ValueTemplate Input { get; init; }

    /// <summary>Runs only when this is truthy; otherwise the step is skipped and its output is null.</summary>
    public Expression? When { get; init; }

    public required TimeSpan Timeout { get; init; }

    /// <summary>A required step that fails fails the pipeline; an optional one degrades it.</summary>
    public required bool Required { get; init; }

    /// <summary>The output used when an optional step fails.</summary>
    public ValueTemplate? Fallback { get; init; }

    /// <summary>Steps this one waits for: those its expressions read plus any listed in <c>after</c>.</summary>
    public required IReadOnlyList<string> DependsOn { get; init; }

    /// <summary>Line of the step in its file (1-based), for messages.</summary>
    public int Line { get; init; }

    /// <summary>Column of the step in its file (1-based), for messages.</summary>
    public int Column { get; init; }

    /// <summary>Name of the step's span, built once.</summary>
    internal string ActivityName => field ??= "step " + Id;
}
