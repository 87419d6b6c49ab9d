using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Lattice.Hosting.Apis;
using Lattice.Hosting.Predictions;
using Lattice.Hosting.Routing;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lattice.Hosting.Typed;

/// <summary>Outcome of a typed model call; expected failures are values, not exceptions.</summary>
public enum ModelCallStatus
{
    /// <summary>A version answered.</summary>
    Ok,

    /// <summary>The request named a version that is not loaded (404).</summary>
    VersionNotFound,

    /// <summary>No version is loaded yet (503).</summary>
    NotReady,

    /// <summary>The model's bulkhead and queue are full (429 with Retry-After).</summary>
    Overloaded,

    /// <summary>The model threw (500): the exception is logged with the model and version and counted as an internal error.</summary>
    Failed,
}

/// <summary>What a typed endpoint does with a model: the call itself, and how each prediction it made is recorded.</summary>
public sealed class ModelOperation<TModel, TRequest, TResult>
{
    /// <summary>An operation quick enough to run to the end whatever happens to its caller.</summary>
    /// <param name="predict">Runs on the routed version's model, inside the bulkhead; must not keep references to the request.</param>
    /// <param name="record">Reports each prediction (one <see cref="PredictionLog.Add(string?, string?, float)"/> per item).</param>
    public ModelOperation(Func<TModel, TRequest, TResult> predict, Action<TRequest, TResult, PredictionLog> record)
        : this(IgnoringCancellation(predict), record)
    {
    }

    /// <summary>
    /// An operation long enough to stop for (many items, seconds of work): <paramref name="predict"/> gets a token that
    /// fires when the caller hangs up, checks it between items and throws <see cref="OperationCanceledException"/>,
    /// which frees the bulkhead slot at once and is not counted as a model failure.
    /// </summary>
    public ModelOperation(Func<TModel, TRequest, CancellationToken, TResult> predict, Action<TRequest, TResult, PredictionLog> record)
    {
        Predict = predict ?? throw new ArgumentNullException(nameof(predict));
        Record = record ?? throw new ArgumentNullException(nameof(record));
    }

    public Func<TModel, TRequest, CancellationToken, TResult> Predict { get; }

    public Action<TRequest, TResult, PredictionLog> Record { get; }

    private static Func<TModel, TRequest, CancellationToken, TResult> IgnoringCancellation(Func<TModel, TRequest, TResult> predict)
    {
        ArgumentNullException.ThrowIfNull(predict);
        return (model, request, _) => predict(model, request);
    }
}

/// <summary>The result of <see cref="TypedModel{TModel}.InvokeAsync"/>: the value and the version that computed it, or why there is none.</summary>
public readonly struct ModelCall<TResult>
{
    internal ModelCall(ModelCallStatus status, string model, string? version, TResult? value, RouteReason route, int retryAfterSeconds)
    {
        Status = status;
        Model = model;
        Version = version;
        Value = value;
        Route = route;
        RetryAfterSeconds = retryAfterSeconds;
    }

    public ModelCallStatus Status { get; }

    public string Model { get; }

    /// <summary>The version that answered (Ok) or failed (Failed), or the one the request named (VersionNotFound).</summary>
    public string? Version { get; }

    public TResult? Value { get; }

    /// <summary>Why that version answered (also in the <c>X-Lattice-Route</c> header).</summary>
    public RouteReason Route { get; }

    /// <summary>Seconds the caller should wait before retrying (429 and 503).</summary>
    public int RetryAfterSeconds { get; }

    [MemberNotNullWhen(true, nameof(Value), nameof(Version))]
    public bool IsOk => Status == ModelCallStatus.Ok;

    /// <summary>The ProblemDetails of a failed call, for typed routes (the Retry-After header is already set).</summary>
    public ProblemHttpResult ToProblem() => Status switch
    {
        ModelCallStatus.VersionNotFound => TypedResults.Problem(
            $"Model '{Model}' has no loaded version '{Version}'.", statusCode: StatusCodes.Status404NotFound,
            title: ModelServerProblemTitles.VersionNotFound, type: ModelServerProblemTypes.VersionNotFound),
        ModelCallStatus.NotReady => TypedResults.Problem(
            $"Model '{Model}' has no version ready yet.", statusCode: StatusCodes.Status503ServiceUnavailable,
            title: ModelServerProblemTitles.ModelNotReady, type: ModelServerProblemTypes.ModelNotReady),
        ModelCallStatus.Overloaded => TypedResults.Problem(
            $"Model '{Model}' is at its concurrency and queue limits; retry after {RetryAfterSeconds} s.",
            statusCode: StatusCodes.Status429TooManyRequests, title: ProblemTitles.TooManyRequests, type: ProblemTypes.TooManyRequests),
        ModelCallStatus.Failed => ModelServerProblems.ServerError(Model, Version),
        _ => throw new InvalidOperationException("The call succeeded; there is no problem to report."),
    };

    /// <summary>The <c>{"error": ...}</c> answer of a failed call, for Open Inference Protocol routes.</summary>
    public OipErrorResult ToOipError() => Status switch
    {
        ModelCallStatus.VersionNotFound => new OipErrorResult(StatusCodes.Status404NotFound, $"Model '{Model}' has no loaded version '{Version}'."),
        ModelCallStatus.NotReady => new OipErrorResult(StatusCodes.Status503ServiceUnavailable, $"Model '{Model}' has no version ready yet.", RetryAfterSeconds),
        ModelCallStatus.Overloaded => new OipErrorResult(StatusCodes.Status429TooManyRequests,
            $"Model '{Model}' is at its concurrency and queue limits; retry after {RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)} s.", RetryAfterSeconds),
        ModelCallStatus.Failed => OipErrorResult.ServerError(Model, Version),
        _ => throw new InvalidOperationException("The call succeeded; there is no error to report."),
    };
}

/// <summary>
/// Where a typed operation reports the predictions it made, one <see cref="Add(string?, string?, float)"/> per item:
/// they go to the <see cref="IPredictionSink"/> (monitoring) and, when a shadow version runs, are compared by label.
/// </summary>
public readonly struct PredictionLog
{
    private readonly IPredictionSink? _sink;
    private readonly List<string?>? _labels;
    private readonly string _model;
    private readonly string _version;
    private readonly bool _shadow;
    private readonly double _seconds;
    private readonly ActivityTraceId _traceId;
    private readonly DateTimeOffset _timestamp;

    internal PredictionLog(IPredictionSink? sink, string model, string version, bool shadow, double seconds, ActivityTraceId traceId, DateTimeOffset timestamp, List<string?>? labels)
    {
        _sink = sink;
        _model = model;
        _version = version;
        _shadow = shadow;
        _seconds = seconds;
        _traceId = traceId;
        _timestamp = timestamp;
        _labels = labels;
    }

    /// <summary>Records one prediction: a short summary of its input, its label (a decision, the top item, a method) and a score.</summary>
    public void Add(string? input, string? label, float score) => Add(input, default, label, score);

    /// <summary>Records one prediction whose input is a row of numbers (kept as is; summarised when read).</summary>
    public void Add(string? input, ReadOnlyMemory<float> features, string? label, float score)
    {
        _sink?.Record(new PredictionRecord(_model, _version, _shadow, input, features, label, score, _seconds, _traceId, _timestamp));
        _labels?.Add(label);
    }
}

/// <summary>Why a request was refused before it reached the model: a 400 with <c>invalid-input</c> or <c>limit-exceeded</c>.</summary>
/// <param name="IsLimit">True when a configured limit was crossed (size, count, length), false for malformed input.</param>
/// <param name="Message">What is wrong, for the caller.</param>
public readonly record struct RequestRefusal(bool IsLimit, string Message)
{
    public static RequestRefusal Invalid(string message) => new(false, message);

    public static RequestRefusal Limit(string message) => new(true, message);
}
