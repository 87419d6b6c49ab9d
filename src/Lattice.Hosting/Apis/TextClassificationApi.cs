using System.Diagnostics;
using System.Text.Json;
using Lattice.Contracts.Text;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Models;
using Lattice.Hosting.Protocol;
using Lattice.Hosting.Repository;
using Lattice.Hosting.Telemetry;
using Lattice.Hosting.Typed;
using Lattice.ServiceDefaults.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Apis;

/// <summary>
/// The typed API of a text classifier: <c>POST {route}</c> with <c>{"text": ...}</c> and <c>POST {route}:batch</c>
/// with <c>{"texts": [...]}</c>; the answer names the label, its probability, every label's probability and the version.
/// </summary>
public static class TextClassificationApi
{
    /// <summary>Query parameter that pins a version (otherwise the traffic policy chooses).</summary>
    public const string VersionQuery = "version";

    public static IEndpointRouteBuilder MapTextClassificationApi(this IEndpointRouteBuilder endpoints, string route, string model)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Singletons resolved once: a handler that asks DI for them would make every request create a service scope.
        var executor = endpoints.ServiceProvider.GetRequiredService<ModelExecutor>();
        var json = endpoints.ServiceProvider.GetRequiredService<ModelServerJson>();
        var encodedModel = JsonEncodedText.Encode(model);
        var group = endpoints.MapGroup(route).WithTags(model);
        group.MapPost("", (HttpContext context, CancellationToken cancellationToken) =>
                ClassifyAsync(model, encodedModel, context, executor, json, cancellationToken))
            .Accepts<TextClassificationRequest>("application/json")
            .ProducesModelProblems()
            .WithName(Name(model, "Classify"))
            .WithSummary($"Classify one text with the {model} model");

        // A literal ':' cannot follow an empty segment in a route template, so the batch route is mapped on the parent.
        endpoints.MapPost(route + ":batch", (HttpContext context, CancellationToken cancellationToken) =>
                ClassifyBatchAsync(model, encodedModel, context, executor, json, cancellationToken))
            .WithTags(model)
            .Accepts<TextClassificationBatchRequest>("application/json")
            .ProducesModelProblems()
            .WithName(Name(model, "ClassifyBatch"))
            .WithSummary($"Classify several texts with the {model} model (one version answers them all)");
        return endpoints;
    }

    private static string Name(string model, string action) => char.ToUpperInvariant(model[0]) + model[1..] + action;

    internal static async ValueTask<Results<StreamedJsonResult<TextClassificationResponse>, ProblemHttpResult>> ClassifyAsync(
        string model, JsonEncodedText encodedModel, HttpContext context, ModelExecutor executor, ModelServerJson json, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync(context, model, executor, json, ParseSingle, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var textProblem = CheckText(request!.Text, json.Limits, index: null);
        if (textProblem is not null)
        {
            return Refuse(executor, model, textProblem);
        }

        var outcome = await RunAsync(model, context, executor, [ModelInput.FromText(request.Text)], cancellationToken);
        if (outcome.Problem is not null)
        {
            return outcome.Problem;
        }

        var (version, outputs) = (outcome.Version!, outcome.Outputs!);
        var id = request.Id ?? RequestId(context);
        return new StreamedJsonResult<TextClassificationResponse>(writer =>
        {
            writer.WriteStartObject();
            WriteResult(writer, version.EncodedLabels, outputs);
            writer.WriteString("model"u8, encodedModel);
            writer.WriteString("version"u8, version.EncodedVersion);
            writer.WriteString("id"u8, id);
            writer.WriteEndObject();
        });
    }

    internal static async ValueTask<Results<StreamedJsonResult<TextClassificationBatchResponse>, ProblemHttpResult>> ClassifyBatchAsync(
        string model, JsonEncodedText encodedModel, HttpContext context, ModelExecutor executor, ModelServerJson json, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync(context, model, executor, json, ParseBatch, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var texts = request!.Texts;
        if (texts.Count == 0)
        {
            return Refuse(executor, model, new Refusal(RequestError.BadInput, "'texts' must hold at least one text."));
        }

        if (texts.Count > json.Limits.MaxBatchSize)
        {
            return Refuse(executor, model, new Refusal(RequestError.Limit, $"'texts' holds {texts.Count} texts; at most {json.Limits.MaxBatchSize} are allowed (limit MaxBatchSize)."));
        }

        var inputs = new ModelInput[texts.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var textProblem = CheckText(texts[i], json.Limits, i);
            if (textProblem is not null)
            {
                return Refuse(executor, model, textProblem);
            }

            inputs[i] = ModelInput.FromText(texts[i]);
        }

        var outcome = await RunAsync(model, context, executor, inputs, cancellationToken);
        if (outcome.Problem is not null)
        {
            return outcome.Problem;
        }

        var (version, outputs) = (outcome.Version!, outcome.Outputs!);
        var id = request.Id ?? RequestId(context);
        return new StreamedJsonResult<TextClassificationBatchResponse>(writer =>
        {
            var width = version.Signature.OutputWidth;
            writer.WriteStartObject();
            writer.WriteStartArray("results"u8);
            for (var i = 0; i < inputs.Length; i++)
            {
                writer.WriteStartObject();
                WriteResult(writer, version.EncodedLabels, outputs.AsSpan(i * width, width));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("model"u8, encodedModel);
            writer.WriteString("version"u8, version.EncodedVersion);
            writer.WriteString("id"u8, id);
            writer.WriteEndObject();
        });
    }

    private static void WriteResult(Utf8JsonWriter writer, JsonEncodedText[] labels, ReadOnlySpan<float> row)
    {
        var best = ModelExecutor.ArgMax(row);
        writer.WriteString("label"u8, labels[best]);
        writer.WriteNumber("score"u8, row[best]);
        writer.WriteStartObject("scores"u8);
        for (var i = 0; i < row.Length; i++)
        {
            writer.WriteNumber(labels[i], row[i]);
        }

        writer.WriteEndObject();
    }

    private static string RequestId(HttpContext context) =>
        context.Request.Headers.TryGetValue("X-Request-Id", out var header) && header.Count > 0 && !string.IsNullOrEmpty(header[0])
            ? header[0]!
            : Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;

    private sealed record Refusal(RequestError Kind, string Message);

    /// <summary>The problem to answer, or the version that scored (its immutable names outlive the lease) and the scores.</summary>
    private readonly record struct Outcome(ProblemHttpResult? Problem, LoadedVersion? Version, float[]? Outputs);

    /// <summary>Parses a well-formed body; a body that is valid JSON but not a valid request gives <paramref name="invalid"/>.</summary>
    private delegate T? Parser<T>(ReadOnlySpan<byte> body, ModelServerJson json, out string? invalid);

    private static TextClassificationRequest? ParseSingle(ReadOnlySpan<byte> body, ModelServerJson json, out string? invalid) =>
        TextRequestReader.TryRead(body, json.Limits.MaxJsonDepth, out var text, out var id, out invalid)
            ? new TextClassificationRequest { Text = text!, Id = id }
            : null;

    private static TextClassificationBatchRequest? ParseBatch(ReadOnlySpan<byte> body, ModelServerJson json, out string? invalid)
    {
        var request = JsonSerializer.Deserialize(body, json.Context.TextClassificationBatchRequest);
        invalid = request is null ? RequestBody.NotAnObject : null;
        return request;
    }

    private static async ValueTask<(T? Request, ProblemHttpResult? Problem)> ReadAsync<T>(
        HttpContext context, string model, ModelExecutor executor, ModelServerJson json, Parser<T> parse, CancellationToken cancellationToken)
        where T : class
    {
        var limits = json.Limits;
        var (body, refusal) = await RequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, cancellationToken);
        using (body)
        {
            if (refusal is not null)
            {
                executor.RecordError(model, null, refusal.ErrorKind);
                return (null, refusal.ToProblem(context.Response));
            }

            if (body.Length == 0)
            {
                return (null, Refuse(executor, model, new Refusal(RequestError.BadInput, "The body is empty; send a JSON object.")));
            }

            try
            {
                var request = parse(body.Span, json, out var invalid);
                return request is null
                    ? (null, Refuse(executor, model, new Refusal(RequestError.BadInput, invalid!)))
                    : (request, null);
            }
            catch (JsonException ex)
            {
                var depth = JsonErrors.IsTooDeep(ex);
                var message = depth
                    ? $"The JSON nests deeper than {limits.MaxJsonDepth} levels (limit MaxJsonDepth)."
                    : "The body is not a valid request: " + JsonErrors.Describe(ex);
                return (null, Refuse(executor, model, new Refusal(depth ? RequestError.Limit : RequestError.BadInput, message)));
            }
        }
    }

    private static Refusal? CheckText(string? text, ModelServerLimitsOptions limits, int? index)
    {
        var where = index is null ? "'text'" : $"'texts[{index}]'";
        // Whitespace alone is no text to classify either: the model would answer its prior, as for an empty one.
        if (string.IsNullOrWhiteSpace(text))
        {
            return new Refusal(RequestError.BadInput, $"{where} must be a non-empty string that is not only whitespace.");
        }

        return text.Length > limits.MaxTextLength
            ? new Refusal(RequestError.Limit, $"{where} has {text.Length} characters; at most {limits.MaxTextLength} are allowed (limit MaxTextLength).")
            : null;
    }

    private static ProblemHttpResult Refuse(ModelExecutor executor, string model, Refusal refusal)
    {
        var limit = refusal.Kind == RequestError.Limit;
        executor.RecordError(model, null, limit ? HostingTags.ErrorKinds.Limit : HostingTags.ErrorKinds.BadInput);
        return TypedResults.Problem(refusal.Message, statusCode: StatusCodes.Status400BadRequest,
            title: limit ? ModelServerProblemTitles.LimitExceeded : ModelServerProblemTitles.InvalidInput,
            type: limit ? ModelServerProblemTypes.LimitExceeded : ModelServerProblemTypes.InvalidInput);
    }

    /// <summary>The version <c>?version=v</c> pins on a typed route, or null; an empty value pins nothing.</summary>
    internal static string? PinnedVersion(HttpRequest request) =>
        request.Query.TryGetValue(VersionQuery, out var query) && query.Count > 0 && !string.IsNullOrEmpty(query[0]) ? query[0] : null;

    private static async ValueTask<Outcome> RunAsync(string model, HttpContext context, ModelExecutor executor, ModelInput[] inputs, CancellationToken cancellationToken)
    {
        if (!executor.TryGetModel(model, out var served))
        {
            return new Outcome(TypedResults.Problem($"Model '{model}' is not served here.", statusCode: StatusCodes.Status404NotFound,
                title: ModelServerProblemTitles.ModelNotFound, type: ModelServerProblemTypes.ModelNotFound), null, null);
        }

        var version = PinnedVersion(context.Request);
        var route = executor.Route(served, version, routingKey: null, context.Request.Headers);
        if (route.Status == InferenceStatus.VersionNotFound)
        {
            return new Outcome(TypedResults.Problem($"Model '{model}' has no loaded version '{version}'.", statusCode: StatusCodes.Status404NotFound,
                title: ModelServerProblemTitles.VersionNotFound, type: ModelServerProblemTypes.VersionNotFound), null, null);
        }

        if (route.Status != InferenceStatus.Ok)
        {
            context.Response.Headers.RetryAfter = "1";
            return new Outcome(TypedResults.Problem($"Model '{model}' has no version ready yet.", statusCode: StatusCodes.Status503ServiceUnavailable,
                title: ModelServerProblemTitles.ModelNotReady, type: ModelServerProblemTypes.ModelNotReady), null, null);
        }

        var chosen = route.Version!;
        try
        {
            if (!chosen.Signature.IsClassifier || chosen.Signature.InputKind != ModelInputKind.Text)
            {
                throw new InvalidOperationException($"Model '{model}' version {chosen.Version} is not a text classifier; it cannot serve the typed text API.");
            }

            var outputs = new float[inputs.Length * chosen.Signature.OutputWidth];
            var result = await executor.ExecuteAsync(served, route, inputs, outputs, cancellationToken);
            if (result.Status == InferenceStatus.Overloaded)
            {
                context.Response.Headers.RetryAfter = result.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new Outcome(TypedResults.Problem($"Model '{model}' is at its concurrency and queue limits; retry later.",
                    statusCode: StatusCodes.Status429TooManyRequests, title: ProblemTitles.TooManyRequests, type: ProblemTypes.TooManyRequests), null, null);
            }

            if (result.Status == InferenceStatus.ModelFailed)
            {
                return new Outcome(ModelServerProblems.ServerError(model, chosen.Version), null, null); // logged and counted by the executor
            }

            ResponseHeaders.SetVersion(context.Response, chosen.Version, result.Reason);
            ShadowWork.Schedule(context, executor, served, result, inputs, outputs);
            return new Outcome(null, chosen, outputs);
        }
        finally
        {
            chosen.Release();
        }
    }
}
