using System.Reflection;
using System.Text.Json;
using Lattice.Contracts;
using Lattice.Contracts.Inference;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Models;
using Lattice.Hosting.Protocol;
using Lattice.Hosting.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Apis;

/// <summary>The Open Inference Protocol v2 over REST: health, server and model metadata, model readiness and inference.</summary>
public static class OpenInferenceApi
{
    public const string Tag = "Open Inference Protocol v2";

    private static readonly string ServerVersion =
        typeof(OpenInferenceApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    /// <summary>Lattice's extensions to the protocol (documented in docs/hosting.md).</summary>
    public static readonly IReadOnlyList<string> Extensions = ["lattice_traffic_policy", "lattice_routing_key", "lattice_typed_api"];

    public static IEndpointRouteBuilder MapOpenInferenceApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Singletons resolved once: a handler that asks DI for them would make every request create a service scope.
        var executor = endpoints.ServiceProvider.GetRequiredService<ModelExecutor>();
        var json = endpoints.ServiceProvider.GetRequiredService<ModelServerJson>();
        var v2 = endpoints.MapGroup("/v2").WithTags(Tag);
        v2.MapGet("", ServerMetadata).WithName("OipServerMetadata").WithSummary("Server name, version and extensions");
        v2.MapGetAndHead("/health/live", ServerLive).WithName("OipServerLive").WithSummary("Whether the server can answer");
        v2.MapGetAndHead("/health/ready", () => ServerReady(executor))
            .Produces<ServerReadyResponse>(StatusCodes.Status503ServiceUnavailable)
            .WithName("OipServerReady").WithSummary("Whether every model has a version ready (503 otherwise)");
        v2.MapGet("/models/{model}", (string model) => ModelMetadata(model, null, executor))
            .ProducesOipErrors(StatusCodes.Status503ServiceUnavailable)
            .WithName("OipModelMetadata").WithSummary("Metadata of a model (the version the policy would choose)");
        v2.MapGet("/models/{model}/versions/{version}", (string model, string version) => ModelMetadata(model, version, executor)).WithName("OipModelVersionMetadata").WithSummary("Metadata of one model version");
        v2.MapGetAndHead("/models/{model}/ready", (string model) => ModelReady(model, null, executor))
            .Produces<ModelReadyResponse>(StatusCodes.Status503ServiceUnavailable)
            .WithName("OipModelReady").WithSummary("Whether a model has a version ready (503 otherwise)");
        v2.MapGetAndHead("/models/{model}/versions/{version}/ready", (string model, string version) => ModelReady(model, version, executor))
            .WithName("OipModelVersionReady").WithSummary("Whether one model version is ready");
        v2.MapPost("/models/{model}/infer", (string model, HttpContext context, CancellationToken cancellationToken) =>
                Infer(model, null, context, executor, json, cancellationToken))
            .AcceptsInferenceRequest().ProducesInferenceErrors()
            .WithName("OipInfer").WithSummary("Inference on the version the traffic policy chooses");
        v2.MapPost("/models/{model}/versions/{version}/infer", (string model, string version, HttpContext context, CancellationToken cancellationToken) =>
                Infer(model, version, context, executor, json, cancellationToken))
            .AcceptsInferenceRequest().ProducesInferenceErrors()
            .WithName("OipInferVersion").WithSummary("Inference on one model version");

        // Anything else under /v2 keeps the protocol's error shape: a known path with another method is 405 with
        // Allow (this catch-all matches every method, so routing's own 405 never happens here), an unknown path 404.
        v2.Map("/{**rest}", (string? rest, HttpContext context) =>
            {
                if (AllowedMethods(rest) is not { } allowed || allowed.Contains(context.Request.Method))
                {
                    return new OipErrorResult(StatusCodes.Status404NotFound, $"There is no Open Inference Protocol endpoint /v2/{rest}.");
                }

                var allow = string.Join(", ", allowed);
                context.Response.Headers.Allow = allow;
                return new OipErrorResult(StatusCodes.Status405MethodNotAllowed, $"/v2/{rest} answers {allow}, not {context.Request.Method}.");
            })
            .ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>
    /// The methods an Open Inference Protocol path answers (the routes mapped above), or null for an unknown path. Matched
    /// as routing matches: literal segments in any case, one trailing slash allowed.
    /// </summary>
    internal static string[]? AllowedMethods(string? rest)
    {
        var path = (rest ?? string.Empty).ToLowerInvariant();
        var segments = (path.EndsWith('/') ? path[..^1] : path).Split('/');
        if (segments.Length > 1 && segments.Any(string.IsNullOrEmpty))
        {
            return null;
        }

        return segments switch
        {
            [""] or ["models", _] or ["models", _, "versions", _] => [HttpMethods.Get],
            ["health", "live" or "ready"] or ["models", _, "ready"] or ["models", _, "versions", _, "ready"] => [HttpMethods.Get, HttpMethods.Head],
            ["models", _, "infer"] or ["models", _, "versions", _, "infer"] => [HttpMethods.Post],
            _ => null,
        };
    }

    internal static OipJsonResult<ServerMetadataResponse> ServerMetadata() =>
        new(new ServerMetadataResponse("lattice", ServerVersion, Extensions), ContractsJsonContext.Default.ServerMetadataResponse);

    internal static OipJsonResult<ServerLiveResponse> ServerLive() =>
        new(new ServerLiveResponse(true), ContractsJsonContext.Default.ServerLiveResponse);

    internal static OipJsonResult<ServerReadyResponse> ServerReady(ModelExecutor executor)
    {
        var ready = executor.Repository.AllModelsReady;
        return new(new ServerReadyResponse(ready), ContractsJsonContext.Default.ServerReadyResponse,
            ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    internal static Results<OipJsonResult<ModelMetadataResponse>, OipErrorResult> ModelMetadata(string model, string? version, ModelExecutor executor)
    {
        if (!executor.TryGetModel(model, out var served))
        {
            return UnknownModel(model);
        }

        model = served.Name; // as registered, whatever case the path used

        var described = executor.Describe(served, version);
        if (described is null)
        {
            return version is null ? NotReady(model) : UnknownVersion(model, version);
        }

        var signature = described.Signature;
        return new OipJsonResult<ModelMetadataResponse>(new ModelMetadataResponse
        {
            Name = model,
            Versions = served.Snapshot.VersionNames,
            Platform = signature.Platform,
            Inputs = OipSignature.Inputs(signature),
            Outputs = OipSignature.Outputs(signature),
        }, ContractsJsonContext.Default.ModelMetadataResponse);
    }

    internal static Results<OipJsonResult<ModelReadyResponse>, OipErrorResult> ModelReady(string model, string? version, ModelExecutor executor)
    {
        if (!executor.TryGetModel(model, out var served))
        {
            return UnknownModel(model);
        }

        model = served.Name; // as registered, whatever case the path used

        if (version is not null && !served.Snapshot.ByVersion.ContainsKey(version))
        {
            return UnknownVersion(model, version);
        }

        var ready = version is not null || !served.Snapshot.IsEmpty;
        return new OipJsonResult<ModelReadyResponse>(new ModelReadyResponse(model, ready), ContractsJsonContext.Default.ModelReadyResponse,
            ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    internal static async Task<Results<StreamedJsonResult<InferenceResponse>, OipErrorResult>> Infer(
        string model, string? version, HttpContext context, ModelExecutor executor, ModelServerJson json, CancellationToken cancellationToken)
    {
        if (!executor.TryGetModel(model, out var served))
        {
            executor.RecordError(model, version, HostingTags.ErrorKinds.NotFound);
            return UnknownModel(model);
        }

        model = served.Name; // as registered, whatever case the path used

        if (version is not null && !served.Snapshot.ByVersion.ContainsKey(version))
        {
            executor.RecordError(model, version, HostingTags.ErrorKinds.NotFound);
            return UnknownVersion(model, version);
        }

        var limits = json.Limits;
        var (body, bodyRefusal) = await RequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, cancellationToken);
        ParsedInferenceRequest request;
        using (body)
        {
            if (bodyRefusal is not null)
            {
                executor.RecordError(model, version, bodyRefusal.ErrorKind);
                return bodyRefusal.ToOipError(context.Response);
            }

            if (body.Length == 0)
            {
                executor.RecordError(model, version, HostingTags.ErrorKinds.BadInput);
                return new OipErrorResult(StatusCodes.Status400BadRequest, "The body is empty; send an inference request object.");
            }

            var parsed = InferenceRequestParser.Parse(body.Span, limits, out request, out var parseError);
            if (parsed != RequestError.None)
            {
                return BadInput(executor, model, version, parsed, parseError!);
            }
        }

        var route = executor.Route(served, version, request.RoutingKey, context.Request.Headers);
        if (route.Status != InferenceStatus.Ok)
        {
            return route.Status == InferenceStatus.VersionNotFound ? UnknownVersion(model, version!) : NotReady(model);
        }

        var chosen = route.Version!;
        try
        {
            var built = OipSignature.BuildInputs(request, chosen.Signature, limits, out var inputs, out var inputError);
            if (built != RequestError.None)
            {
                return BadInput(executor, model, chosen.Version, built, inputError!);
            }

            var outputs = new float[inputs.Length * chosen.Signature.OutputWidth];
            var result = await executor.ExecuteAsync(served, route, inputs, outputs, cancellationToken);
            if (result.Status == InferenceStatus.Overloaded)
            {
                return new OipErrorResult(StatusCodes.Status429TooManyRequests,
                    $"Model '{model}' is at its concurrency and queue limits; retry after {result.RetryAfterSeconds} s.", result.RetryAfterSeconds);
            }

            if (result.Status == InferenceStatus.ModelFailed)
            {
                return OipErrorResult.ServerError(model, chosen.Version); // logged and counted by the executor
            }

            ResponseHeaders.SetVersion(context.Response, chosen.Version, result.Reason);
            ShadowWork.Schedule(context, executor, served, result, inputs, outputs);
            var signature = chosen.Signature;
            var id = request.Id;
            var requested = request.Outputs;
            var versionName = chosen.Version;
            return new StreamedJsonResult<InferenceResponse>(
                writer => InferenceResponseWriter.Write(writer, model, versionName, id, signature, inputs.Length, outputs, requested),
                exception => ServerError(context, executor, model, versionName, exception));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Under /v2 even a bug keeps the protocol's error shape; the exception handler would answer ProblemDetails.
            return ServerError(context, executor, model, chosen.Version, ex);
        }
        finally
        {
            chosen.Release();
        }
    }

    /// <summary>An unexpected failure (a bug, or the response writer threw): logged and counted, answered 500 in the protocol's shape.</summary>
    internal static OipErrorResult ServerError(HttpContext context, ModelExecutor executor, string model, string? version, Exception exception)
    {
        executor.RecordInternalError(model, version, exception);
        ResponseHeaders.ClearVersion(context.Response);
        return OipErrorResult.ServerError(model, version);
    }

    private static OipErrorResult BadInput(ModelExecutor executor, string model, string? version, RequestError kind, string message)
    {
        executor.RecordError(model, version, kind == RequestError.Limit ? HostingTags.ErrorKinds.Limit : HostingTags.ErrorKinds.BadInput);
        return new OipErrorResult(StatusCodes.Status400BadRequest, message);
    }

    private static OipErrorResult UnknownModel(string model) =>
        new(StatusCodes.Status404NotFound, $"Model '{model}' is not served here.");

    private static OipErrorResult UnknownVersion(string model, string version) =>
        new(StatusCodes.Status404NotFound, $"Model '{model}' has no loaded version '{version}'.");

    private static OipErrorResult NotReady(string model) =>
        new(StatusCodes.Status503ServiceUnavailable, $"Model '{model}' has no version ready yet.");
}

/// <summary>Writes an OIP inference response for a model's outputs, honouring the requested output selection.</summary>
internal static class InferenceResponseWriter
{
    public static void Write(Utf8JsonWriter writer, string model, string version, string? id, ModelSignature signature, int items, float[] outputs, List<string>? requested)
    {
        writer.WriteStartObject();
        writer.WriteString("model_name"u8, model);
        writer.WriteString("model_version"u8, version);
        if (id is not null)
        {
            writer.WriteString("id"u8, id);
        }

        writer.WriteStartArray("outputs"u8);
        var names = requested ?? (IReadOnlyList<string>)OipSignature.OutputNames(signature);
        var width = signature.OutputWidth;
        foreach (var name in names)
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, name);
            switch (name)
            {
                case OipSignature.LabelOutput:
                    WriteShape(writer, items);
                    writer.WriteString("datatype"u8, InferenceDatatypes.Bytes);
                    writer.WriteStartArray("data"u8);
                    for (var i = 0; i < items; i++)
                    {
                        writer.WriteStringValue(signature.Labels[ModelExecutor.ArgMax(outputs.AsSpan(i * width, width))]);
                    }

                    writer.WriteEndArray();
                    break;
                case OipSignature.ScoreOutput:
                    WriteShape(writer, items);
                    writer.WriteString("datatype"u8, InferenceDatatypes.Fp32);
                    writer.WriteStartArray("data"u8);
                    for (var i = 0; i < items; i++)
                    {
                        var row = outputs.AsSpan(i * width, width);
                        writer.WriteNumberValue(row[ModelExecutor.ArgMax(row)]);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    WriteShape(writer, items, width);
                    writer.WriteString("datatype"u8, InferenceDatatypes.Fp32);
                    writer.WriteStartArray("data"u8);
                    foreach (var value in outputs)
                    {
                        writer.WriteNumberValue(value);
                    }

                    writer.WriteEndArray();
                    break;
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteShape(Utf8JsonWriter writer, params ReadOnlySpan<int> dimensions)
    {
        writer.WriteStartArray("shape"u8);
        foreach (var dimension in dimensions)
        {
            writer.WriteNumberValue(dimension);
        }

        writer.WriteEndArray();
    }
}
