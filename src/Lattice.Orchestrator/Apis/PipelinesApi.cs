using System.Text.Json;
using System.Text.Json.Nodes;
using Lattice.Orchestrator.Execution;
using Lattice.Orchestrator.Expressions;
using Lattice.Orchestrator.Pipelines;
using Lattice.ServiceDefaults.Compression;
using Lattice.ServiceDefaults.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Lattice.Orchestrator.Apis;

/// <summary><c>GET /v1/pipelines</c>, <c>GET /v1/pipelines/{name}</c> and <c>POST /v1/pipelines/{name}</c>.</summary>
public static class PipelinesApi
{
    public static IEndpointRouteBuilder MapPipelinesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/pipelines").WithTags("Pipelines");
        group.MapGet("/", List).WithName("ListPipelines").WithSummary("Every pipeline with its steps and DAG.");
        group.MapGet("/{name}", Describe).WithName("DescribePipeline").WithSummary("One pipeline with its steps and DAG.");
        group.MapPost("/{name}", Run).WithName("RunPipeline").WithSummary("Runs a pipeline synchronously on the JSON input in the body.")
            .Accepts<JsonObject>("application/json");
        return endpoints;
    }

    internal static Ok<PipelineList> List(PipelineCatalog catalog) =>
        TypedResults.Ok(new PipelineList([.. catalog.All.Select(PipelineDescription.From)]));

    internal static Results<Ok<PipelineDescription>, ProblemHttpResult> Describe(string name, PipelineCatalog catalog) =>
        catalog.TryGet(name, out var pipeline)
            ? TypedResults.Ok(PipelineDescription.From(pipeline))
            : UnknownPipeline(name);

    internal static async Task<Results<JsonOkResult<PipelineResponse>, ProblemHttpResult>> Run(
        string name,
        HttpRequest request,
        PipelineCatalog catalog,
        PipelineExecutor executor,
        IOptions<OrchestratorOptions> options,
        CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(name, out var pipeline))
        {
            return UnknownPipeline(name);
        }

        var (input, problem) = await PipelineInput.ReadAsync(request, pipeline, options.Value, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var run = await executor.RunAsync(pipeline, input, cancellationToken);
        if (run.FailedRequiredStep is { } failed)
        {
            var timedOut = failed.Failure == StepFailure.Timeout;
            return TypedResults.Problem(
                detail: $"Required step '{failed.Id}' failed: {failed.Error}",
                statusCode: timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                title: timedOut ? "Pipeline step timed out" : "Pipeline step failed",
                type: timedOut ? ProblemTypes.GatewayTimeout : ProblemTypes.BadGateway,
                extensions: new Dictionary<string, object?>
                {
                    ["pipeline"] = run.Pipeline,
                    ["id"] = run.Id,
                    ["steps"] = run.Steps,
                    ["degraded"] = run.Degraded,
                    ["durationMs"] = Math.Round(run.DurationMs, 3),
                });
        }

        return new JsonOkResult<PipelineResponse>(new PipelineResponse(run.Pipeline, run.Id, run.Output, run.Steps, run.Degraded, Math.Round(run.DurationMs, 3)));
    }

    private static ProblemHttpResult UnknownPipeline(string name) => TypedResults.Problem(
        detail: $"There is no pipeline named '{name}'. GET /v1/pipelines lists them.",
        statusCode: StatusCodes.Status404NotFound,
        title: "Unknown pipeline",
        type: ProblemTypes.NotFound);
}

/// <summary>The body of <c>GET /v1/pipelines</c>.</summary>
public sealed record PipelineList(IReadOnlyList<PipelineDescription> Pipelines);

/// <summary>Reads and validates a run's input against the pipeline's declared fields.</summary>
internal static class PipelineInput
{
    public static async Task<(JsonNode? Input, ProblemHttpResult? Problem)> ReadAsync(
        HttpRequest request, PipelineDefinition pipeline, OrchestratorOptions options, CancellationToken cancellationToken)
    {
        if (request.ContentLength > options.MaxRequestBytes)
        {
            return (null, TooLarge(options));
        }

        // No body at all (no Content-Length, not chunked: a bare "curl -X POST") is the empty input, as
        // Content-Length: 0 is; there is no content whose type could be wrong.
        var hasBody = request.ContentLength is not 0
            && request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody is not false;
        if (hasBody && !request.HasJsonContentType())
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType,
                ProblemTitles.UnsupportedMediaType, "Send the pipeline input as application/json."));
        }

        // The body is parsed as UTF-8: one declared in another charset would only fail as malformed JSON.
        if (hasBody && !JsonCharset.IsUtf8(request.ContentType, out var charset))
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType,
                ProblemTitles.UnsupportedMediaType, JsonCharset.NotUtf8(charset!)));
        }

        using var received = await BoundedBody.ReadAsync(request.Body, request.ContentLength, options.MaxRequestBytes, cancellationToken);
        if (!received.WithinLimit)
        {
            return (null, TooLarge(options));
        }

        // A body sent in gzip, deflate or br is decoded under the same limit (docs/pipelines.md).
        var contentEncoding = request.Headers.ContentEncoding;
        var encoded = ContentCodings.IsEncoded(contentEncoding);
        ProblemHttpResult? refusal = null;
        using var decoded = encoded ? Decode(received, contentEncoding, request, options, out refusal) : default;
        if (refusal is not null)
        {
            return (null, refusal);
        }

        var body = encoded ? decoded.Span : received.Span;

        JsonNode? input;
        try
        {
            // Before parsing: a string that is not text throws InvalidOperationException (a 500) wherever it is decoded,
            // in parsing itself for some names.
            if (!body.IsEmpty && JsonText.TryFindNotText(body, new JsonReaderOptions { MaxDepth = options.MaxJsonDepth }, out var where, out var isName))
            {
                // An empty path is the root value itself: a string, so not an object either.
                return (null, where.Length == 0 ? NotAnObject() : NotText(where, isName));
            }

            input = body.IsEmpty ? new JsonObject() : JsonNode.Parse(body, documentOptions: new JsonDocumentOptions
            {
                MaxDepth = options.MaxJsonDepth,

                // Refused here as malformed: JsonObject would otherwise throw ArgumentException on first use (a 500).
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException e)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, ProblemTypes.BadRequest, "Malformed JSON", e.Message));
        }

        if (input is not JsonObject fields)
        {
            return (null, NotAnObject());
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var field in pipeline.Input)
        {
            var present = fields.TryGetPropertyValue(field.Name, out var value) && value is not null;
            if (!present)
            {
                if (field.Required)
                {
                    errors[field.Name] = ["is required"];
                }

                continue;
            }

            if (!Matches(field.Type, value!))
            {
                errors[field.Name] = [$"must be of type {field.Type.ToString().ToLowerInvariant()}"];
            }
            else if (value is JsonValue text && text.TryGetValue<string>(out var s))
            {
                if (field.MaxLength is { } max && s.Length > max && ExpressionValues.CharacterCount(s) > max)
                {
                    errors[field.Name] = [$"must be at most {max} characters"];
                }
                else if (field.MinLength is { } min && (s.Length < min || ExpressionValues.CharacterCount(s) < min))
                {
                    errors[field.Name] = [min == 1 ? "must not be empty" : $"must be at least {min} characters"];
                }
            }
        }

        if (errors.Count > 0)
        {
            return (null, Invalid(errors, $"The input does not match pipeline '{pipeline.Name}'. GET /v1/pipelines/{pipeline.Name} shows its fields."));
        }

        return (fields, null);
    }

    /// <summary>A string (or a name) anywhere in the input, declared field or not, that is not text: the field named by its path.</summary>
    private static ProblemHttpResult NotText(string where, bool isName)
    {
        var message = isName ? JsonText.NameNotText : JsonStrings.NotText;
        return Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [where] = [message] }, $"'{where}' {message}.");
    }

    private static ProblemHttpResult Invalid(Dictionary<string, string[]> errors, string detail) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Type = ProblemTypes.Validation,
            Title = "Invalid pipeline input",
            Detail = detail,
        });

    private static ProblemHttpResult NotAnObject() =>
        Problem(StatusCodes.Status400BadRequest, ProblemTypes.Validation, "Invalid pipeline input", "The input must be a JSON object.");

    private static bool Matches(InputType type, JsonNode value) => type switch
    {
        InputType.Any => true,
        InputType.Object => value is JsonObject,
        InputType.Array => value is JsonArray,
        _ => value is JsonValue v && (type, v.GetValueKind()) switch
        {
            (InputType.String, JsonValueKind.String) => true,
            (InputType.Number, JsonValueKind.Number) => true,
            (InputType.Integer, JsonValueKind.Number) => v.TryGetValue<long>(out _) || (v.TryGetValue<double>(out var d) && d == Math.Floor(d)),
            (InputType.Boolean, JsonValueKind.True or JsonValueKind.False) => true,
            _ => false,
        },
    };

    private static BoundedBody Decode(BoundedBody received, StringValues contentEncoding, HttpRequest request, OrchestratorOptions options, out ProblemHttpResult? refusal)
    {
        var status = received.Decode(contentEncoding, options.MaxRequestBytes, out var decoded, out var error);
        refusal = status switch
        {
            ContentDecodeStatus.Ok => null,
            ContentDecodeStatus.TooLarge => TooLarge(options),
            ContentDecodeStatus.Unsupported => Unsupported(request, error!),
            _ => Problem(StatusCodes.Status400BadRequest, ProblemTypes.BadRequest, "Invalid content encoding", error!),
        };
        return decoded;
    }

    private static ProblemHttpResult Unsupported(HttpRequest request, string error)
    {
        request.HttpContext.Response.Headers.AcceptEncoding = ContentCodings.Supported; // RFC 9110 §15.5.16
        return Problem(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, ProblemTitles.UnsupportedContentEncoding, error);
    }

    private static ProblemHttpResult TooLarge(OrchestratorOptions options) => Problem(
        StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, ProblemTitles.PayloadTooLarge,
        $"The pipeline input may be at most {options.MaxRequestBytes} bytes.");

    private static ProblemHttpResult Problem(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type);
}
