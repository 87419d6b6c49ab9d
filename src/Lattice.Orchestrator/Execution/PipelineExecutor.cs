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

    // Duplicate keys are refused while parsing: JsonObject would otherwise throw ArgumentException on first use.
    private static readonly JsonDocumentOptions ResponseJsonOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

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

        using var run = new RunState(pipeline, input, started, cancellationToken);
        var tasks = new Dictionary<string, Task<StepRecord>>(StringComparer.Ordinal);
        foreach (var step in pipeline.Steps)
        {
            var dependencies = step.DependsOn.Select(d => tasks[d]).ToArray();
            tasks[step.Id] = RunStepAsync(run, step, dependencies);
        }

        var records = await Task.WhenAll(tasks.Values);
        var elapsed = timeProvider.GetElapsedTime(started);
        if (cancellationToken.IsCancellationRequested)
        {
            // Nobody is waiting for the answer: measured as its own outcome, not as a failure or a deadline.
            telemetry.RecordRun(pipeline.Name, "cancelled", elapsed);
            LogClientAborted(logger, pipeline.Name, runId);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var byId = records.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var ordered = pipeline.Steps.Select(s => byId[s.Id]).ToList();
        var scope = new ExpressionScope(input, run.Outputs, pipeline.Tables);
        var failed = run.FailedStep is { } failedId ? byId[failedId] : null;
        var output = failed is null ? Output(pipeline, scope) : null;
        var degraded = ordered.Where(r => !r.Required && r.Status is StepStatus.Fallback or StepStatus.Failed).Select(r => r.Id).ToList();
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

    private async Task<StepRecord> RunStepAsync(RunState run, StepDefinition step, Task<StepRecord>[] dependencies)
    {
        var records = dependencies.Length == 0 ? [] : await Task.WhenAll(dependencies);
        if (run.CancelReason() is { } cancelled)
        {
            return Finish(run, step, StepStatus.Skipped, null, 0, null, "not run: " + cancelled, StepFailure.Cancelled);
        }

        var blockedBy = records.FirstOrDefault(r => r.Required && r.Status is StepStatus.Failed or StepStatus.Skipped && r.Failure != StepFailure.None);
        if (blockedBy is not null)
        {
            return Finish(run, step, StepStatus.Skipped, null, 0, null, $"not run: required step '{blockedBy.Id}' failed", blockedBy.Failure);
        }

        var scope = new ExpressionScope(run.Input, run.Outputs, run.Pipeline.Tables);
        if (step.When is { } condition && !condition.EvaluateCondition(scope))
        {
            return Finish(run, step, StepStatus.Skipped, null, 0, null, null, StepFailure.None);
        }

        if (step.Value is { } value)
        {
            return Finish(run, step, StepStatus.Ok, value.Evaluate(scope), 0, null, null, StepFailure.None);
        }

        var started = timeProvider.GetTimestamp();
        var body = step.Input.Evaluate(scope);
        // The step's own timeout bounds its call, cut short only by what is left of the pipeline's deadline.
        var left = run.Pipeline.Deadline - timeProvider.GetElapsedTime(run.Started);
        var budget = left < step.Timeout ? AtLeastOneMillisecond(left) : step.Timeout;
        var (failure, output, version, error) = await CallAsync(run, step, body, budget);
        var latency = timeProvider.GetElapsedTime(started).TotalMilliseconds;
        if (failure == StepFailure.None)
        {
            return Finish(run, step, StepStatus.Ok, output, latency, version, null, StepFailure.None);
        }

        if (failure == StepFailure.Cancelled)
        {
            // Not this step's fault: no fallback, no warning, and not counted as degraded.
            return Finish(run, step, StepStatus.Skipped, null, latency, version, error, failure);
        }

        LogStepFailed(logger, run.Pipeline.Name, step.Id, step.Service ?? string.Empty, failure, error ?? string.Empty);
        if (!step.Required && step.Fallback is { } fallback)
        {
            return Finish(run, step, StepStatus.Fallback, fallback.Evaluate(scope), latency, version, error, failure);
        }

        if (step.Required)
        {
            // Fail fast: the run is a 502/504 now, so the steps still running are cancelled rather than awaited.
            run.Fail(step.Id);
        }

        return Finish(run, step, StepStatus.Failed, null, latency, version, error, failure);
    }

    private StepRecord Finish(
        RunState run, StepDefinition step,
        StepStatus status, JsonNode? output, double latencyMs, string? version, string? error, StepFailure failure)
    {
        run.Outputs[step.Id] = output;
        telemetry.RecordStep(run.Pipeline.Name, step.Id, status, latencyMs);
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
        RunState run, StepDefinition step, JsonNode? body, TimeSpan budget)
    {
        using var activity = telemetry.ActivitySource.StartActivity(step.ActivityName);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("lattice.step", step.Id).SetTag("lattice.service", step.Service);
        }

        var started = timeProvider.GetTimestamp();
        var content = new ReadOnlyMemoryContent(Utf8Json(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
        using var request = new HttpRequestMessage(HttpMethod.Post, step.Address) { Content = content };

        // Predictions have no side effects, so a transient failure may be retried within the step's timeout.
        // The step's budget replaces the client's default attempt and total timeouts (2 s and 10 s), which
        // would otherwise cut a slower step at 2 s and call its service again. The client's timeouts are the
        // only timer until the headers arrive: a step that times out is then a timeout the upstream's circuit
        // breaker counts, not a cancellation by the caller that it ignores.
        request.MarkSafeToRetry().WithTimeouts(attemptTimeout: budget, totalTimeout: budget);
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        CancellationTokenSource? bodyTimeout = null;
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, run.Token);
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

            // The body within what is left of the budget.
            var left = budget - timeProvider.GetElapsedTime(started);
            bodyTimeout = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
            bodyTimeout.CancelAfter(AtLeastOneMillisecond(left));
            var output = await StepAnswer.ParseAsync(response.Content, options.Value.MaxStepResponseBytes, ResponseJsonOptions, bodyTimeout.Token);
            version ??= (output as JsonObject)?["version"] is JsonValue v && v.TryGetValue<string>(out var bodyVersion) ? bodyVersion : null;
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("lattice.model_version", version);
            }

            return (StepFailure.None, output, version, null);
        }
        catch (OperationCanceledException) when (run.CancelReason() is { } cancelled)
        {
            // A required sibling failed or the client hung up: neither is a timeout of this step.
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
            return (StepFailure.Cancelled, null, null, $"{step.Service}: cancelled: {cancelled}");
        }
        catch (Exception e) when (e is Polly.Timeout.TimeoutRejectedException
            || (e is OperationCanceledException && (run.Token.IsCancellationRequested || bodyTimeout?.IsCancellationRequested == true)))
        {
            // The client's timeouts are the step's budget (while waiting for the answer), the body's timer the rest of
            // it, and the run's token the pipeline's deadline: each is this step running out of time.
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            var reason = run.Token.IsCancellationRequested || budget < step.Timeout
                ? "the pipeline deadline passed"
                : $"no answer within {step.Timeout.TotalMilliseconds} ms";
            return (StepFailure.Timeout, null, null, $"{step.Service}: {reason}");
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
        finally
        {
            bodyTimeout?.Dispose();
        }
    }

    /// <summary>A time left, as a timeout: one already used up still gets 1 ms (zero or less would mean "no timeout").</summary>
    private static TimeSpan AtLeastOneMillisecond(TimeSpan left) =>
        left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);

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

    /// <summary>
    /// One run's shared state: the step outputs, and one token that ends every call when the deadline
    /// passes, the client hangs up, or a required step fails (fail fast). <see cref="CancelReason"/> tells them apart.
    /// </summary>
    private sealed class RunState : IDisposable
    {
        private readonly CancellationTokenSource _cancellation;
        private readonly CancellationToken _clientAborted;
        private string? _failedStep;

        public RunState(PipelineDefinition pipeline, JsonNode? input, long started, CancellationToken clientAborted)
        {
            Pipeline = pipeline;
            Input = input;
            Started = started;
            _clientAborted = clientAborted;
            _cancellation = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
            _cancellation.CancelAfter(pipeline.Deadline);
        }

        public PipelineDefinition Pipeline { get; }

        public JsonNode? Input { get; }

        public long Started { get; }

        public ConcurrentDictionary<string, JsonNode?> Outputs { get; } = new(StringComparer.Ordinal);

        public CancellationToken Token => _cancellation.Token;

        /// <summary>The first required step that failed, if any.</summary>
        public string? FailedStep => Volatile.Read(ref _failedStep);

        public void Fail(string stepId)
        {
            if (Interlocked.CompareExchange(ref _failedStep, stepId, null) is null)
            {
                _cancellation.Cancel();
            }
        }

        /// <summary>Why the run stopped other than by its deadline, or null.</summary>
        public string? CancelReason() =>
            _clientAborted.IsCancellationRequested ? "the client hung up"
            : FailedStep is { } failed ? $"required step '{failed}' failed"
            : null;

        public void Dispose() => _cancellation.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Pipeline {Pipeline} step {Step} ({Service}) failed: {Failure} {Error}")]
    private static partial void LogStepFailed(ILogger logger, string pipeline, string step, string service, StepFailure failure, string error);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Pipeline {Pipeline} run {RunId} cancelled: the client hung up")]
    private static partial void LogClientAborted(ILogger logger, string pipeline, string runId);
}
