using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lattice.Orchestrator.Execution;

/// <summary>The orchestrator's ActivitySource and Meter (<c>Lattice.Orchestrator</c>).</summary>
internal sealed class OrchestratorTelemetry : IDisposable
{
    public const string Name = "Lattice.Orchestrator";

    private readonly Counter<long> _runs;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _stepDuration;
    private readonly Counter<long> _degraded;

    public OrchestratorTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _runs = meter.CreateCounter<long>("lattice.pipeline.runs", "{run}", "Pipeline runs by pipeline and outcome (ok, degraded, failed, cancelled: the client hung up).");
        _runDuration = meter.CreateHistogram<double>("lattice.pipeline.duration", "s", "Duration of whole pipeline runs.");
        _stepDuration = meter.CreateHistogram<double>("lattice.pipeline.step.duration", "s", "Duration of pipeline steps by step and status.");
        _degraded = meter.CreateCounter<long>("lattice.pipeline.step.degraded", "{step}", "Optional steps that fell back or failed.");
    }

    public ActivitySource ActivitySource { get; } = new(Name);

    public void RecordRun(string pipeline, string outcome, TimeSpan duration)
    {
        var pipelineTag = new KeyValuePair<string, object?>("pipeline", pipeline);
        _runs.Add(1, pipelineTag, new KeyValuePair<string, object?>("outcome", outcome));
        _runDuration.Record(duration.TotalSeconds, pipelineTag, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void RecordStep(string pipeline, string step, StepStatus status, double latencyMs)
    {
        var tags = new TagList
        {
            { "pipeline", pipeline },
            { "step", step },
            { "status", StatusTag(status) },
        };
        if (status != StepStatus.Skipped)
        {
            _stepDuration.Record(latencyMs / 1000.0, tags);
        }

        if (status is StepStatus.Fallback or StepStatus.Failed)
        {
            _degraded.Add(1, tags);
        }
    }

    /// <summary>The status as the record spells it (no string built per step).</summary>
    private static string StatusTag(StepStatus status) => status switch
    {
        StepStatus.Ok => "ok",
        StepStatus.Failed => "failed",
        StepStatus.Skipped => "skipped",
        StepStatus.Fallback => "fallback",
        _ => status.ToString().ToLowerInvariant(),
    };

    public void Dispose() => ActivitySource.Dispose();
}
