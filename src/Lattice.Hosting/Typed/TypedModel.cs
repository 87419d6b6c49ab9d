using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lattice.Hosting.Apis;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Predictions;
using Lattice.Hosting.Protocol;
using Lattice.Hosting.Repository;
using Lattice.Hosting.Routing;
using Lattice.Hosting.Telemetry;
using Lattice.ServiceDefaults.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lattice.Hosting.Typed;

/// <summary>
/// A hosted model as typed endpoints see it: <see cref="InvokeAsync"/> runs an operation on the loaded model object of
/// the version the traffic policy chooses (or <c>?version=</c> names), with everything the model server gives every
/// model — a lease on the version (hot reload never fails the call), the bulkhead (429 + Retry-After), request,
/// duration, batch and error metrics per model and version, prediction events, the shadow version, and the
/// <c>X-Model-Version</c> / <c>X-Lattice-Route</c> headers. Get one with <see cref="TypedModelExtensions.GetTypedModel{TModel}"/>.
/// </summary>
/// <typeparam name="TModel">The model object the version's adapter exposes through <see cref="IModelAdapter{TModel}"/>.</typeparam>
public sealed class TypedModel<TModel>
    where TModel : class
{
    /// <summary>Query parameter that pins a version on typed routes (otherwise the traffic policy chooses).</summary>
    public const string VersionQuery = TextClassificationApi.VersionQuery;

    private readonly ModelExecutor _executor;
    private readonly IPredictionSink _sink;
    private readonly HostingTelemetry _telemetry;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    internal TypedModel(ServedModel served, ModelExecutor executor, ModelServerJson json, IPredictionSink sink, HostingTelemetry telemetry, TimeProvider timeProvider, ILogger logger)
    {
        Served = served;
        _executor = executor;
        Json = json;
        _sink = sink;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The model's name (its repository folder, its OIP name and its metric tag).</summary>
    public string Name => Served.Name;

    /// <summary>The server's request limits (body size, batch size, text length, tensor elements, JSON depth).</summary>
    public ModelServerLimitsOptions Limits => Json.Limits;

    internal ServedModel Served { get; }

    internal ModelServerJson Json { get; }

    internal ModelExecutor Executor => _executor;

    /// <summary>
    /// Runs <paramref name="operation"/> on the version the request is routed to (<c>?version=</c>, else the traffic
    /// policy with the sticky routing header). <paramref name="items"/> is how many predictions the request holds.
    /// On success the version headers are set and a shadow call, if the policy has one, is scheduled for after the response.
    /// </summary>
    public ValueTask<ModelCall<TResult>> InvokeAsync<TRequest, TResult>(
        HttpContext context, TRequest request, ModelOperation<TModel, TRequest, TResult> operation, int items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var version = TextClassificationApi.PinnedVersion(context.Request);
        return InvokeRoutedAsync(context, version, routingKey: null, request, operation, items, cancellationToken);
    }

    /// <summary>Runs the operation on the named version, or on the one the policy chooses for the routing key (or the sticky header).</summary>
    internal async ValueTask<ModelCall<TResult>> InvokeRoutedAsync<TRequest, TResult>(
        HttpContext context, string? version, string? routingKey, TRequest request, ModelOperation<TModel, TRequest, TResult> operation, int items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var route = _executor.Route(Served, version, routingKey, context.Request.Headers);
        if (route.Status == InferenceStatus.VersionNotFound)
        {
            return new ModelCall<TResult>(ModelCallStatus.VersionNotFound, Name, version, default, route.Reason, 0);
        }

        if (route.Status != InferenceStatus.Ok)
        {
            context.Response.Headers.RetryAfter = "1";
            return new ModelCall<TResult>(ModelCallStatus.NotReady, Name, null, default, route.Reason, 1);
        }

        var chosen = route.Version!;
        try
        {
            var lease = Served.Bulkhead.TryEnter();
            if (!lease.IsAcquired)
            {
                lease.Dispose();
                lease = await Served.Bulkhead.EnterAsync(cancellationToken);
                if (!lease.IsAcquired)
                {
                    lease.Dispose();
                    _executor.RecordError(Name, chosen.Version, HostingTags.ErrorKinds.Overloaded);
                    TypedModelLog.Overloaded(_logger, Name, chosen.Version);
                    context.Response.Headers.RetryAfter = Served.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                    return new ModelCall<TResult>(ModelCallStatus.Overloaded, Name, chosen.Version, default, route.Reason, Served.RetryAfterSeconds);
                }
            }

            TResult result;
            double seconds;
            using (lease)
            {
                var started = _timeProvider.GetTimestamp();
                try
                {
                    result = operation.Predict(ModelOf(chosen), request, cancellationToken);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    // A server error, answered in the route's own shape (ToProblem or ToOipError) without the exception's details.
                    _executor.RecordInternalError(Name, chosen.Version, ex);
                    return new ModelCall<TResult>(ModelCallStatus.Failed, Name, chosen.Version, default, route.Reason, 0);
                }

                seconds = _timeProvider.GetElapsedTime(started).TotalSeconds;
            }

            var tags = new TagList { { HostingTags.Model, Name }, { HostingTags.Version, chosen.Version } };
            chosen.Requests.Increment();
            _telemetry.Duration.Record(seconds, tags);
            if (items > 1)
            {
                _telemetry.BatchSize.Record(items, tags);
            }

            var activity = Activity.Current;
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("lattice.model", Name).SetTag("lattice.model.version", chosen.Version);
            }

            var traceId = activity?.TraceId ?? default;
            var shadow = route.Plan?.Shadow is { } planned && !ReferenceEquals(planned, chosen) ? planned : null;
            var labels = shadow is null ? null : new List<string?>(items);
            operation.Record(request, result, new PredictionLog(_sink, Name, chosen.Version, shadow: false, seconds, traceId, _timeProvider.GetUtcNow(), labels));
            TypedModelLog.Prediction(_logger, Name, chosen.Version, items, route.Reason, seconds * 1000);
            ResponseHeaders.SetVersion(context.Response, chosen.Version, route.Reason);
            if (shadow is not null)
            {
                TypedShadowWork<TModel, TRequest, TResult>.Schedule(context, this, shadow, request, operation, labels!, traceId);
            }

            return new ModelCall<TResult>(ModelCallStatus.Ok, Name, chosen.Version, result, route.Reason, 0);
        }
        finally
        {
            chosen.Release();
        }
    }

    /// <summary>
    /// Reads the request body as JSON under the server's limits: 413 beyond <c>MaxRequestBodyBytes</c>, 400
    /// (<c>limit-exceeded</c>) beyond <c>MaxJsonDepth</c>, 400 (<c>invalid-input</c>) for an empty body, malformed JSON,
    /// a missing required member or a wrong type. Strictness (required members, nullability, numbers as numbers) comes
    /// from <paramref name="typeInfo"/>'s options.
    /// </summary>
    public async ValueTask<JsonBody<T>> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var limits = Limits;
        var (body, refusal) = await RequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, cancellationToken);
        using (body)
        {
            if (refusal is not null)
            {
                _executor.RecordError(Name, null, refusal.ErrorKind);
                return new JsonBody<T>(null, refusal.ToProblem(context.Response));
            }

            if (body.Length == 0)
            {
                return new JsonBody<T>(null, Refuse(RequestRefusal.Invalid("The body is empty; send a JSON object.")));
            }

            try
            {
                // The reader enforces the configured depth; the type's options enforce the contract.
                var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { MaxDepth = limits.MaxJsonDepth });
                var value = JsonSerializer.Deserialize(ref reader, typeInfo);
                if (reader.Read())
                {
                    return new JsonBody<T>(null, Refuse(RequestRefusal.Invalid("The body has content after its JSON object.")));
                }

                return value is null
                    ? new JsonBody<T>(null, Refuse(RequestRefusal.Invalid(RequestBody.NotAnObject)))
                    : new JsonBody<T>(value, null);
            }
            catch (JsonException ex)
            {
                return new JsonBody<T>(null, Refuse(JsonRefusal(ex, limits)));
            }
        }
    }

    /// <summary>A 400 ProblemDetails (<c>invalid-input</c> or <c>limit-exceeded</c>), counted in <c>lattice.hosting.errors</c>.</summary>
    public ProblemHttpResult Refuse(RequestRefusal refusal)
    {
        RecordRefusal(refusal, version: null);
        return TypedResults.Problem(refusal.Message, statusCode: StatusCodes.Status400BadRequest,
            title: refusal.IsLimit ? ModelServerProblemTitles.LimitExceeded : ModelServerProblemTitles.InvalidInput,
            type: refusal.IsLimit ? ModelServerProblemTypes.LimitExceeded : ModelServerProblemTypes.InvalidInput);
    }

    internal static RequestRefusal JsonRefusal(JsonException exception, ModelServerLimitsOptions limits)
    {
        return JsonErrors.IsTooDeep(exception)
            ? RequestRefusal.Limit($"The JSON nests deeper than {limits.MaxJsonDepth} levels (limit MaxJsonDepth).")
            : RequestRefusal.Invalid("The body is not a valid request: " + JsonErrors.Describe(exception));
    }

    internal void RecordRefusal(RequestRefusal refusal, string? version) =>
        RecordError(refusal.IsLimit ? HostingTags.ErrorKinds.Limit : HostingTags.ErrorKinds.BadInput, version);

    internal void RecordError(string kind, string? version) => _executor.RecordError(Name, version, kind);

    /// <summary>The version metadata describes: the named one, or the one the policy would choose without a routing key.</summary>
    internal LoadedVersion? Describe(string? version) => _executor.Describe(Served, version);

    internal void RecordNotFound(string? version) => _executor.RecordError(Name, version, HostingTags.ErrorKinds.NotFound);

    /// <summary>
    /// Runs the operation again on the shadow version, after the response was sent: never queued (a full bulkhead drops
    /// it), never throws; the result is recorded (<c>shadow: true</c>) and metered with its agreement by label.
    /// </summary>
    internal void RunShadow<TRequest, TResult>(
        LoadedVersion shadow, TRequest request, ModelOperation<TModel, TRequest, TResult> operation, List<string?> primaryLabels, ActivityTraceId traceId)
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
                using var lease = Served.Bulkhead.TryEnter();
                if (!lease.IsAcquired)
                {
                    outcome = "dropped";
                }
                else
                {
                    var started = _timeProvider.GetTimestamp();
                    var result = operation.Predict(ModelOf(shadow), request, CancellationToken.None);
                    var seconds = _timeProvider.GetElapsedTime(started).TotalSeconds;
                    var labels = new List<string?>(primaryLabels.Count);
                    operation.Record(request, result, new PredictionLog(_sink, Name, shadow.Version, shadow: true, seconds, traceId, _timeProvider.GetUtcNow(), labels));
                    if (labels.Exists(l => l is not null) || primaryLabels.Exists(l => l is not null))
                    {
                        agreement = labels.SequenceEqual(primaryLabels, StringComparer.Ordinal) ? "agree" : "disagree";
                    }
                }
            }
            catch (Exception ex)
            {
                outcome = "error";
                TypedModelLog.ShadowFailed(_logger, Name, shadow.Version, ex);
            }
            finally
            {
                shadow.Release();
            }
        }

        _telemetry.Shadow.Add(1,
            new KeyValuePair<string, object?>(HostingTags.Model, Name),
            new KeyValuePair<string, object?>(HostingTags.Version, shadow.Version),
            new KeyValuePair<string, object?>(HostingTags.Outcome, outcome),
            new KeyValuePair<string, object?>(HostingTags.Agreement, agreement));
    }

    private TModel ModelOf(LoadedVersion version) => version.Adapter is IModelAdapter<TModel> typed
        ? typed.Model
        : throw new InvalidOperationException(
            $"Model '{Name}' version {version.Version} is served by {version.Adapter.GetType().Name}, which is not an IModelAdapter<{typeof(TModel).Name}>; its loader cannot serve this typed endpoint.");
}

/// <summary>A request body read as JSON: the value, or the ProblemDetails to answer with.</summary>
public readonly record struct JsonBody<T>(T? Value, ProblemHttpResult? Problem)
    where T : class
{
    /// <summary>True when the body was refused: answer with <see cref="Problem"/>.</summary>
    [MemberNotNullWhen(true, nameof(Problem))]
    [MemberNotNullWhen(false, nameof(Value))]
    public bool Failed => Problem is not null || Value is null;
}

/// <summary>Resolves <see cref="TypedModel{TModel}"/> handles and helps describe typed endpoints.</summary>
public static class TypedModelExtensions
{
    /// <summary>The request's id: the one its body carries, else the <c>X-Request-Id</c> header, else the trace id.</summary>
    public static string ResolveRequestId(this HttpContext context, string? requested)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!string.IsNullOrEmpty(requested))
        {
            return requested;
        }

        return context.Request.Headers.TryGetValue("X-Request-Id", out var header) && header.Count > 0 && !string.IsNullOrEmpty(header[0])
            ? header[0]!
            : Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;
    }

    /// <summary>Declares the ProblemDetails a typed model endpoint can answer with: 400, 404, 413, 429, 500 and 503.</summary>
    public static RouteHandlerBuilder ProducesModelProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status500InternalServerError)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>
    /// The typed handle of model <paramref name="name"/>, registered with <c>AddModel</c> and a loader whose adapters
    /// implement <see cref="IModelAdapter{TModel}"/>. Resolve it once, when mapping endpoints.
    /// </summary>
    public static TypedModel<TModel> GetTypedModel<TModel>(this IServiceProvider services, string name)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var executor = services.GetRequiredService<ModelExecutor>();
        if (!executor.TryGetModel(name, out var served))
        {
            throw new InvalidOperationException($"Model '{name}' is not registered; add it with AddModelServer(server => server.AddModel(\"{name}\", loader)).");
        }

        return new TypedModel<TModel>(
            served,
            executor,
            services.GetRequiredService<ModelServerJson>(),
            services.GetRequiredService<IPredictionSink>(),
            services.GetRequiredService<HostingTelemetry>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TypedModel<>).Namespace + ".TypedModel"));
    }
}

/// <summary>Log lines of typed model calls (event ids 130-139; the model server's own are 100-129).</summary>
internal static partial class TypedModelLog
{
    [LoggerMessage(EventId = 130, Level = LogLevel.Debug, Message = "{ModelName} version {ModelVersion} answered a typed call of {Items} items ({Route}) in {ElapsedMs} ms")]
    public static partial void Prediction(ILogger logger, string modelName, string modelVersion, int items, RouteReason route, double elapsedMs);

    [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "{ModelName} version {ModelVersion} is overloaded: bulkhead and queue are full, answering 429")]
    public static partial void Overloaded(ILogger logger, string modelName, string modelVersion);

    [LoggerMessage(EventId = 132, Level = LogLevel.Warning, Message = "Shadow call of {ModelName} version {ModelVersion} failed; the response was not affected")]
    public static partial void ShadowFailed(ILogger logger, string modelName, string modelVersion, Exception exception);
}
