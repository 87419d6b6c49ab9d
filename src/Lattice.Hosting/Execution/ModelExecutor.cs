using System.Diagnostics;
using Lattice.Hosting.Models;
using Lattice.Hosting.Predictions;
using Lattice.Hosting.Repository;
using Lattice.Hosting.Routing;
using Lattice.Hosting.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lattice.Hosting.Execution;

/// <summary>Outcome of an inference call; expected failures are values, not exceptions.</summary>
internal enum InferenceStatus
{
    Ok,
    ModelNotFound,
    VersionNotFound,
    NotReady,
    Overloaded,

    /// <summary>The model threw, or answered NaN or an infinity: a server error, already logged and counted as <c>internal</c>.</summary>
    ModelFailed,
}

/// <summary>A routing decision: the leased version (when the status is Ok), why it was chosen, and the plan it came from.</summary>
internal readonly record struct RouteResult(InferenceStatus Status, LoadedVersion? Version, RouteReason Reason, RoutePlan? Plan);

/// <summary>What an inference call did: its status, the version that answered and why, and the shadow to run after the response.</summary>
internal readonly record struct InferenceResult(InferenceStatus Status, LoadedVersion? Version, RouteReason Reason, LoadedVersion? Shadow, int RetryAfterSeconds)
{
    public string? VersionName => Version?.Version;
}

/// <summary>
/// The inference path shared by every API: route to a version (policy, explicit version or sticky key), take
/// a lease and a bulkhead slot, predict (inline, or through the micro-batcher), then meter and record.
/// </summary>
internal sealed partial class ModelExecutor(
    ModelRepository repository,
    TrafficRouter router,
    ModelServerSettings settings,
    IPredictionSink sink,
    HostingTelemetry telemetry,
    TimeProvider timeProvider,
    ILogger<ModelExecutor> logger)
{
    private const int MaxRouteAttempts = 8;
    public ModelRepository Repository => repository;

    public bool TryGetModel(string name, out ServedModel model) => repository.Models.TryGetValue(name, out model!);

    /// <summary>The plan for a model under the current policy (cached until the snapshot or configuration changes).</summary>
    public RoutePlan Plan(ServedModel model)
    {
        var policy = settings.Current.Models.TryGetValue(model.Name, out var modelOptions) ? modelOptions?.Traffic : null;
        var plan = RoutePlan.Get(model.CachedPlan, model.Snapshot, policy);
        model.CachedPlan = plan;
        return plan;
    }

    /// <summary>The version a metadata call describes: the named one, or the one the policy would choose without a key.</summary>
    public LoadedVersion? Describe(ServedModel model, string? version) =>
        version is null ? Plan(model).Default : model.Snapshot.ByVersion.GetValueOrDefault(version);

    /// <summary>
    /// Chooses the version for a request (the named one, else the traffic policy with the routing key) and
    /// takes a lease on it. The caller must <see cref="LoadedVersion.Release"/> an Ok result's version.
    /// </summary>
    public RouteResult Route(ServedModel model, string? version, string? routingKey, IHeaderDictionary? headers = null)
    {
        for (var attempt = 0; attempt < MaxRouteAttempts; attempt++)
        {
            LoadedVersion? chosen;
            RouteReason reason;
            RoutePlan? plan = null;
            if (version is not null)
            {
                reason = RouteReason.Explicit;
                if (!model.Snapshot.ByVersion.TryGetValue(version, out chosen))
                {
                    RecordError(model.Name, version, HostingTags.ErrorKinds.NotFound);
                    return new RouteResult(InferenceStatus.VersionNotFound, null, reason, null);
                }
            }
            else
            {
                plan = Plan(model);
                // The key only matters where there is a split to stick to: no header lookup on the common path.
                var key = plan.StickyHeader is null || plan.Candidates.Length == 0 ? null : routingKey ?? HeaderValue(headers, plan.StickyHeader);
                chosen = router.Select(plan, key, out reason);
                if (chosen is null)
                {
                    RecordError(model.Name, null, HostingTags.ErrorKinds.NotReady);
                    return new RouteResult(InferenceStatus.NotReady, null, reason, null);
                }
            }

            // A version retired between the snapshot read and here: route again on the new snapshot.
            if (chosen.TryAcquire())
            {
                return new RouteResult(InferenceStatus.Ok, chosen, reason, plan);
            }
        }

        RecordError(model.Name, version, HostingTags.ErrorKinds.NotReady);
        return new RouteResult(InferenceStatus.NotReady, null, RouteReason.Default, null);
    }

    /// <summary>
    /// Scores <paramref name="inputs"/> into <paramref name="outputs"/> (row-major, <c>OutputWidth</c> per item) on
    /// the routed version, inside the model's bulkhead. Single items go through the micro-batcher when it is on.
    /// Does not release the route's lease.
    /// </summary>
    public ValueTask<InferenceResult> ExecuteAsync(ServedModel model, RouteResult route, ModelInput[] inputs, float[] outputs, CancellationToken cancellationToken)
    {
        var version = route.Version!;
        var lease = model.Bulkhead.TryEnter();
        if (lease.IsAcquired && version.Batcher is null)
        {
            // The common case runs synchronously: no state machine, no thread hop.
            using (lease)
            {
                var started = timeProvider.GetTimestamp();
                var tags = Tags(model, version);
                Exception? failure = null;
                try
                {
                    Predict(version.Adapter, inputs, outputs, tags);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                return ValueTask.FromResult(Complete(model, route, inputs, outputs, started, tags, failure));
            }
        }

        return ExecuteSlowAsync(model, route, inputs, outputs, lease, cancellationToken);
    }

    private async ValueTask<InferenceResult> ExecuteSlowAsync(ServedModel model, RouteResult route, ModelInput[] inputs, float[] outputs, BulkheadLease lease, CancellationToken cancellationToken)
    {
        var version = route.Version!;
        try
        {
            if (!lease.IsAcquired)
            {
                lease.Dispose();
                lease = await model.Bulkhead.EnterAsync(cancellationToken);
                if (!lease.IsAcquired)
                {
                    RecordError(model.Name, version.Version, HostingTags.ErrorKinds.Overloaded);
                    LogOverloaded(model.Name, version.Version);
                    return new InferenceResult(InferenceStatus.Overloaded, version, route.Reason, null, model.RetryAfterSeconds);
                }
            }

            var started = timeProvider.GetTimestamp();
            var tags = Tags(model, version);
            Exception? failure = null;
            try
            {
                if (inputs.Length == 1 && version.Batcher is { } batcher)
                {
                    await batcher.PredictAsync(inputs[0], outputs);
                }
                else
                {
                    Predict(version.Adapter, inputs, outputs, tags);
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            return Complete(model, route, inputs, outputs, started, tags, failure);
        }
        finally
        {
            lease.Dispose();
        }
    }

    /// <summary>Meters and records a model call, or turns a failed one (it threw, or answered a non-finite number) into <see cref="Failed"/>.</summary>
    private InferenceResult Complete(ServedModel model, RouteResult route, ModelInput[] inputs, float[] outputs, long started, in TagList tags, Exception? failure)
    {
        if (failure is not null || !AllFinite(outputs))
        {
            return Failed(model, route, failure);
        }

        var version = route.Version!;
        var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
        version.Requests.Increment();
        telemetry.Duration.Record(seconds, tags);
        if (Activity.Current is { IsAllDataRequested: true } activity)
        {
            // A propagation-only activity (no exporter) keeps tags it would never send; skip them.
            activity.SetTag("lattice.model", model.Name).SetTag("lattice.model.version", version.Version);
        }

        RecordPredictions(version, shadow: false, inputs, outputs, seconds);
        LogPrediction(model.Name, version.Version, inputs.Length, route.Reason, seconds * 1000);
        var shadow = route.Plan?.Shadow is { } s && !ReferenceEquals(s, version) ? s : null;
        return new InferenceResult(InferenceStatus.Ok, version, route.Reason, shadow, 0);
    }

    /// <summary>
    /// A model call that threw or answered a non-finite number (which JSON cannot carry): logged with the model and
    /// version, counted as an internal error, and answered as a server error without the exception's details.
    /// </summary>
    private InferenceResult Failed(ServedModel model, RouteResult route, Exception? exception)
    {
        var version = route.Version!;
        if (exception is null)
        {
            RecordError(model.Name, version.Version, HostingTags.ErrorKinds.Internal);
            LogNonFiniteOutput(model.Name, version.Version);
        }
        else
        {
            RecordInternalError(model.Name, version.Version, exception);
        }

        return new InferenceResult(InferenceStatus.ModelFailed, version, route.Reason, null, 0);
    }

    private static bool AllFinite(float[] outputs)
    {
        foreach (var value in outputs)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    private static string? HeaderValue(IHeaderDictionary? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) && value.Count > 0 ? value[0] : null;

    private static TagList Tags(ServedModel model, LoadedVersion version) =>
        new() { { HostingTags.Model, model.Name }, { HostingTags.Version, version.Version } };

    /// <summary>
    /// One model call. Multi-item calls are recorded in the batch size histogram; single items are not (the request
    /// counter already counts them, and one histogram record per request is measurable at these rates).
    /// </summary>
    private void Predict(IModelAdapter adapter, ModelInput[] inputs, float[] outputs, in TagList tags)
    {
        if (inputs.Length == 1)
        {
            adapter.Predict(inputs[0], outputs);
        }
        else
        {
            adapter.PredictBatch(inputs, outputs);
            telemetry.BatchSize.Record(inputs.Length, tags);
        }
    }

    private static void Predict(IModelAdapter adapter, ModelInput[] inputs, float[] outputs)
    {
        if (inputs.Length == 1)
        {
            adapter.Predict(inputs[0], outputs);
        }
        else
        {
            adapter.PredictBatch(inputs, outputs);
        }
    }

    /// <summary>
    /// Scores the same inputs on the shadow version, after the response was sent. Never queues (a full bulkhead
    /// drops the shadow call), never throws; the result is recorded and metered only.
    /// </summary>
    public void RunShadow(ServedModel model, LoadedVersion shadow, ModelInput[] inputs, float[] primaryOutputs, LoadedVersion primary)
    {
        var outcome = "ok";
        var agreement = "n/a";
        if (!shadow.TryAcquire())
        {
            outcome = "dropped";
        }
        else
        {
            try
            {
                using var lease = model.Bulkhead.TryEnter();
                if (!lease.IsAcquired || shadow.Signature.OutputWidth != primary.Signature.OutputWidth)
                {
                    outcome = "dropped";
                }
                else
                {
                    var outputs = new float[inputs.Length * shadow.Signature.OutputWidth];
                    var started = timeProvider.GetTimestamp();
                    Predict(shadow.Adapter, inputs, outputs);
                    var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
                    RecordPredictions(shadow, shadow: true, inputs, outputs, seconds);
                    if (shadow.Signature.IsClassifier)
                    {
                        agreement = SameLabels(outputs, primaryOutputs, shadow.Signature.OutputWidth) ? "agree" : "disagree";
                    }
                }
            }
            catch (Exception ex)
            {
                outcome = "error";
                LogShadowFailed(model.Name, shadow.Version, ex);
            }
            finally
            {
                shadow.Release();
            }
        }

        telemetry.Shadow.Add(1,
            new KeyValuePair<string, object?>(HostingTags.Model, model.Name),
            new KeyValuePair<string, object?>(HostingTags.Version, shadow.Version),
            new KeyValuePair<string, object?>(HostingTags.Outcome, outcome),
            new KeyValuePair<string, object?>(HostingTags.Agreement, agreement));
    }

    /// <summary>Logs an unexpected failure of a request on <paramref name="model"/> and counts it as an <c>internal</c> error.</summary>
    public void RecordInternalError(string model, string? version, Exception exception)
    {
        RecordError(model, version, HostingTags.ErrorKinds.Internal);
        LogInternalError(model, version ?? "none", exception);
    }

    /// <summary>
    /// Counts an error in <c>lattice.hosting.errors</c>. A model or version name the server does not know (one a client
    /// typed in a URL or <c>?version=</c>) is tagged <c>unknown</c>: as a label value, each such name would be a new
    /// series, until the SDK's cardinality limit folded real errors into its overflow series.
    /// </summary>
    public void RecordError(string model, string? version, string kind)
    {
        var served = repository.Models.GetValueOrDefault(model);
        var versionTag = version is null ? HostingTags.NoVersion
            : served is not null && (served.Snapshot.ByVersion.ContainsKey(version) || served.RequestCounts.ContainsKey(version)) ? version
            : HostingTags.Unknown;
        telemetry.Errors.Add(1,
            new KeyValuePair<string, object?>(HostingTags.Model, served is null ? HostingTags.Unknown : served.Name),
            new KeyValuePair<string, object?>(HostingTags.Version, versionTag),
            new KeyValuePair<string, object?>(HostingTags.Kind, kind));
    }

    private void RecordPredictions(LoadedVersion version, bool shadow, ModelInput[] inputs, float[] outputs, double seconds)
    {
        var width = version.Signature.OutputWidth;
        var labels = version.Signature.Labels;
        var traceId = Activity.Current?.TraceId ?? default;
        var now = timeProvider.GetUtcNow();
        for (var i = 0; i < inputs.Length; i++)
        {
            var row = outputs.AsSpan(i * width, width);
            string? label = null;
            float score;
            if (labels.Count > 0)
            {
                var best = ArgMax(row);
                label = labels[best];
                score = row[best];
            }
            else
            {
                score = row[0];
            }

            var input = inputs[i];
            string? text = null;
            if (input.IsText)
            {
                // The text of a JSON request is a whole string already; keep it without copying.
                text = System.Runtime.InteropServices.MemoryMarshal.TryGetString(input.Text, out var whole, out var start, out var length)
                    && start == 0 && length == whole.Length ? whole : input.Text.ToString();
            }

            sink.Record(new PredictionRecord(version.ModelName, version.Version, shadow, text, input.Features, label, score, seconds, traceId, now));
        }
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static bool SameLabels(float[] a, float[] b, int width)
    {
        for (var offset = 0; offset + width <= a.Length && offset + width <= b.Length; offset += width)
        {
            if (ArgMax(a.AsSpan(offset, width)) != ArgMax(b.AsSpan(offset, width)))
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "{ModelName} version {ModelVersion} scored {Items} items ({Route}) in {ElapsedMs} ms")]
    private partial void LogPrediction(string modelName, string modelVersion, int items, RouteReason route, double elapsedMs);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "{ModelName} version {ModelVersion} is overloaded: bulkhead and queue are full, answering 429")]
    private partial void LogOverloaded(string modelName, string modelVersion);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "Shadow prediction of {ModelName} version {ModelVersion} failed; the response was not affected")]
    private partial void LogShadowFailed(string modelName, string modelVersion, Exception exception);

    [LoggerMessage(EventId = 124, Level = LogLevel.Error, Message = "A request on {ModelName} version {ModelVersion} failed unexpectedly; answering a server error")]
    private partial void LogInternalError(string modelName, string modelVersion, Exception exception);

    [LoggerMessage(EventId = 125, Level = LogLevel.Error, Message = "{ModelName} version {ModelVersion} answered NaN or an infinity; answering a server error")]
    private partial void LogNonFiniteOutput(string modelName, string modelVersion);
}
