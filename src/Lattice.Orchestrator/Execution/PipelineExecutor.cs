using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lattice.Orchestrator.Expressions;
using Lattice.Orchestrator.Pipelines;
using Lattice.ServiceDefaults.Http;
using Microsoft.Extensions.Options;

namespace Lattice.Orchestrator.Execution;

/// <summary>
/// Runs a pipeline: every step starts as soon as the steps it depends on have finished, so independent
/// steps run in parallel; each call has its own timeout inside the pipeline's deadline. Optional steps
/// that fail fall back (or are left out) and the run is marked degraded; a failing required step fails the run.
/// </summary>
internal sealed partial class PipelineExecutor(
    IHttpClientFactory httpClientFactory,
    TimeProvider timeProvider,
    OrchestratorTelemetry telemetry,
    IOptions<OrchestratorOptions> options,
    ILogger<PipelineExecutor> logger)
{
    /// <summary>Name of the HttpClient steps use (resilience and discovery come from ServiceDefaults).</summary>
    public const string HttpClientName = "pipeline-steps";

    /// <summary>Response headers a service may use to report the model version it used.</summary>
    private static readonly string[] VersionHeaders = ["Lattice-Model-Version", "X-Model-Version"];

    private static readonly JsonDocumentOptions ResponseJsonOptions = new() { MaxDepth = 64 };

    public async Task<PipelineRun> RunAsync(PipelineDefinition pipeline, JsonNode? input, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var runId = Guid.NewGuid().ToString("n");
        using var activity = telemetry.ActivitySource.StartActivity(pipeline.ActivityName);
        if (activity is { IsAllDataRequested: true })
        {
            // A propagation-only span (nothing exports) would keep tags it never sends.
            activity.SetTag("lattice.pipeline", pipeline.Name).SetTag("lattice.run_id", runId);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(pipeline.Deadline);
        var outputs = new ConcurrentDictionary<string, JsonNode?>(StringComparer.Ordinal);
        var tasks = new Dictionary<string, Task<StepRecord>>(StringComparer.Ordinal);
        foreach (var step in pipeline.Steps)
        {
            var dependencies = step.DependsOn.Select(d => tasks[d]).ToArray();
            tasks[step.Id] = RunStepAsync(pipeline, step, dependencies, input, outputs, deadline.Token);
        }

        var records = await Task.WhenAll(tasks.Values);
        cancellationToken.ThrowIfCancellationRequested();
        var byId = records.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var ordered = pipeline.Steps.Select(s => byId[s.Id]).ToList();
        var scope = new ExpressionScope(input, outputs, pipeline.Tables);
        var failed = ordered.FirstOrDefault(r => r.Required && r.Status == StepStatus.Failed);
        var output = failed is null ? Output(pipeline, scope) : null;
        var degraded = ordered.Where(r => !r.Required && r.Status is StepStatus.Fallback or StepStatus.Failed).Select(r => r.Id).ToList();
        var elapsed = timeProvider.GetElapsedTime(started);
        var outcome = failed is not null ? "failed" : degraded.Count > 0 ? "degraded" : "ok";
        telemetry.RecordRun(pipeline.Name, outcome, elapsed);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("lattice.pipeline.outcome", outcome);
        }

        if (failed is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        }

        return new PipelineRun
        {
            Pipeline = pipeline.Name,
            Id = runId,
            Output = output,
            Steps = ordered,
            Degraded = degraded,
            DurationMs = elapsed.TotalMilliseconds,
            FailedRequiredStep = failed,
            DeadlineExceeded = deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested,
        };
    }

    private static JsonNode? Output(PipelineDefinition pipeline, ExpressionScope scope)
    {
        if (pipeline.Output is { } template)
        {
            return template.Evaluate(scope);
        }

        var merged = new JsonObject();
        foreach (var step in pipeline.Steps)
        {
            merged[step.Id] = scope.Steps.TryGetValue(step.Id, out var value) ? value?.DeepClone() : null;
        }

        return merged;
    }

    private async Task<StepRecord> RunStepAsync(
        PipelineDefinition pipeline,
        StepDefinition step,
        Task<StepRecord>[] dependencies,
        JsonNode? input,
        ConcurrentDictionary<string, JsonNode?> outputs,
        CancellationToken deadline)
    {
        var records = dependencies.Length == 0 ? [] : await Task.WhenAll(dependencies);
        var blockedBy = records.FirstOrDefault(r => r.Required && r.Status is StepStatus.Failed or StepStatus.Skipped && r.Failure != StepFailure.None);
        if (blockedBy is not null)
        {
            return Finish(pipeline, step, outputs, StepStatus.Skipped, null, 0, null, $"not run: required step '{blockedBy.Id}' failed", blockedBy.Failure);
        }

        var scope = new ExpressionScope(input, outputs, pipeline.Tables);
        if (step.When is { } condition && !condition.EvaluateCondition(scope))
        {
            return Finish(pipeline, step, outputs, StepStatus.Skipped, null, 0, null, null, StepFailure.None);
        }

        if (step.Value is { } value)
        {
            return Finish(pipeline, step, outputs, StepStatus.Ok, value.Evaluate(scope), 0, null, null, StepFailure.None);
        }

        var started = timeProvider.GetTimestamp();
        var body = step.Input.Evaluate(scope);
        var (failure, output, version, error) = await CallAsync(step, body, deadline);
        var latency = timeProvider.GetElapsedTime(started).TotalMilliseconds;
        if (failure == StepFailure.None)
        {
            return Finish(pipeline, step, outputs, StepStatus.Ok, output, latency, version, null, StepFailure.None);
        }

        LogStepFailed(logger, pipeline.Name, step.Id, step.Service ?? string.Empty, failure, error ?? string.Empty);
        if (!step.Required && step.Fallback is { } fallback)
        {
            return Finish(pipeline, step, outputs, StepStatus.Fallback, fallback.Evaluate(scope), latency, version, error, failure);
        }

        return Finish(pipeline, step, outputs, StepStatus.Failed, null, latency, version, error, failure);
    }

    private StepRecord Finish(
        PipelineDefinition pipeline, StepDefinition step, ConcurrentDictionary<string, JsonNode?> outputs,
        StepStatus status, JsonNode? output, double latencyMs, string? version, string? error, StepFailure failure)
    {
        outputs[step.Id] = output;
        telemetry.RecordStep(pipeline.Name, step.Id, status, latencyMs);
        return new StepRecord
        {
            Id = step.Id,
            Service = step.Service,
            Status = status,
            LatencyMs = Math.Round(latencyMs, 3),
            Version = version,
            Error = error,
            Failure = failure,
            Output = output,
            Required = step.Required,
        };
    }

    private static ReadOnlyMemory<byte> Utf8Json(JsonNode? body)
    {
        if (body is null)
        {
            return "null"u8.ToArray();
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body.WriteTo(writer);
        }

        return buffer.WrittenMemory;
    }

    private async Task<(StepFailure Failure, JsonNode? Output, string? Version, string? Error)> CallAsync(
        StepDefinition step, JsonNode? body, CancellationToken deadline)
    {
        using var activity = telemetry.ActivitySource.StartActivity(step.ActivityName);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("lattice.step", step.Id).SetTag("lattice.service", step.Service);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        timeout.CancelAfter(step.Timeout);
        var content = new ReadOnlyMemoryContent(Utf8Json(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
        using var request = new HttpRequestMessage(HttpMethod.Post, step.Address) { Content = content };

        // Predictions have no side effects, so a transient failure may be retried within the step's timeout.
        request.MarkSafeToRetry();
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var version = HeaderVersion(response);
            if (!response.IsSuccessStatusCode)
            {
                activity?.SetStatus(ActivityStatusCode.Error);
                return (StepFailure.UpstreamError, null, version, $"{step.Service} answered {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentLength > options.Value.MaxStepResponseBytes)
            {
                return (StepFailure.InvalidResponse, null, version, $"{step.Service} answered more than {options.Value.MaxStepResponseBytes} bytes");
            }

            var output = await StepAnswer.ParseAsync(response.Content, options.Value.MaxStepResponseBytes, ResponseJsonOptions, timeout.Token);
            version ??= (output as JsonObject)?["version"] is JsonValue v && v.TryGetValue<string>(out var bodyVersion) ? bodyVersion : null;
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("lattice.model_version", version);
            }

            return (StepFailure.None, output, version, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            var reason = deadline.IsCancellationRequested ? "the pipeline deadline passed" : $"no answer within {step.Timeout.TotalMilliseconds} ms";
            return (StepFailure.Timeout, null, null, $"{step.Service}: {reason}");
        }
        catch (Polly.Timeout.TimeoutRejectedException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            return (StepFailure.Timeout, null, null, $"{step.Service}: attempt timed out");
        }
        catch (Polly.CircuitBreaker.BrokenCircuitException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "circuit open");
            return (StepFailure.Unreachable, null, null, $"{step.Service}: circuit open after repeated failures");
        }
        catch (HttpRequestException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            return (StepFailure.Unreachable, null, null, $"{step.Service}: {e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "connection refused or reset",
                HttpRequestError.NameResolutionError => "no address",
                _ => e.Message,
            }}");
        }
        catch (JsonException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "invalid JSON");
            return (StepFailure.InvalidResponse, null, null, $"{step.Service} answered invalid JSON: {e.Message}");
        }
        catch (IOException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            return (StepFailure.InvalidResponse, null, null, $"{step.Service}: {e.Message}");
        }
    }

    private static string? HeaderVersion(HttpResponseMessage response)
    {
        foreach (var header in VersionHeaders)
        {
            // The raw values: no parsing or validation, and no enumerator, on every step call.
            if (response.Headers.NonValidated.TryGetValues(header, out var values))
            {
                foreach (var value in values)
                {
                    return value;
                }
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Pipeline {Pipeline} step {Step} ({Service}) failed: {Failure} {Error}")]
    private static partial void LogStepFailed(ILogger logger, string pipeline, string step, string service, StepFailure failure, string error);
}
