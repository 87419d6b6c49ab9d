using System.Text.Json;
using Lattice.Contracts;
using Lattice.Contracts.Inference;
using Lattice.Hosting.Apis;
using Lattice.Hosting.Protocol;
using Lattice.ServiceDefaults.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lattice.Hosting.Typed;

/// <summary>
/// Serves a typed model on the Open Inference Protocol with its own <see cref="TensorContract{TModel, TRequest, TResult}"/>:
/// <c>GET /v2/models/{name}[/versions/{v}]</c> and <c>POST /v2/models/{name}[/versions/{v}]/infer</c>.
/// </summary>
/// <remarks>
/// These routes name the model literally, so they take precedence over the server's generic <c>{model}</c> routes for
/// this model only; health, readiness and every other model keep the generic handlers. Errors keep the protocol's
/// <c>{"error": ...}</c> shape with the same statuses: 400, 404, 413, 429 (+ Retry-After), 500, 503.
/// </remarks>
public static class TensorInferenceApi
{
    public static IEndpointRouteBuilder MapTensorInference<TModel, TRequest, TResult>(
        this IEndpointRouteBuilder endpoints, TypedModel<TModel> model, TensorContract<TModel, TRequest, TResult> contract)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(contract);
        var name = char.ToUpperInvariant(model.Name[0]) + model.Name[1..];
        var group = endpoints.MapGroup("/v2/models/" + model.Name).WithTags(OpenInferenceApi.Tag);
        group.MapGet("", () => Metadata(model, contract, null))
            .ProducesOipErrors(StatusCodes.Status503ServiceUnavailable)
            .WithName($"Oip{name}Metadata").WithSummary($"Metadata of the {model.Name} model: its tensors and loaded versions");
        group.MapGet("/versions/{version}", (string version) => Metadata(model, contract, version))
            .WithName($"Oip{name}VersionMetadata").WithSummary($"Metadata of one {model.Name} version");
        group.MapPost("/infer", (HttpContext context, CancellationToken cancellationToken) => InferAsync(model, contract, null, context, cancellationToken))
            .AcceptsInferenceRequest().ProducesInferenceErrors()
            .WithName($"Oip{name}Infer").WithSummary($"Inference on the {model.Name} version the traffic policy chooses");
        group.MapPost("/versions/{version}/infer", (string version, HttpContext context, CancellationToken cancellationToken) =>
                InferAsync(model, contract, version, context, cancellationToken))
            .AcceptsInferenceRequest().ProducesInferenceErrors()
            .WithName($"Oip{name}InferVersion").WithSummary($"Inference on one {model.Name} version");
        return endpoints;
    }

    internal static Results<OipJsonResult<ModelMetadataResponse>, OipErrorResult> Metadata<TModel, TRequest, TResult>(
        TypedModel<TModel> model, TensorContract<TModel, TRequest, TResult> contract, string? version)
        where TModel : class
    {
        var snapshot = model.Served.Snapshot;
        var described = model.Describe(version);
        if (described is null)
        {
            return version is null
                ? new OipErrorResult(StatusCodes.Status503ServiceUnavailable, $"Model '{model.Name}' has no version ready yet.")
                : new OipErrorResult(StatusCodes.Status404NotFound, $"Model '{model.Name}' has no loaded version '{version}'.");
        }

        return new OipJsonResult<ModelMetadataResponse>(new ModelMetadataResponse
        {
            Name = model.Name,
            Versions = snapshot.VersionNames,
            Platform = described.Signature.Platform,
            Inputs = contract.Inputs,
            Outputs = contract.Outputs,
        }, ContractsJsonContext.Default.ModelMetadataResponse);
    }

    internal static async Task<Results<StreamedJsonResult<InferenceResponse>, OipErrorResult>> InferAsync<TModel, TRequest, TResult>(
        TypedModel<TModel> model, TensorContract<TModel, TRequest, TResult> contract, string? version, HttpContext context, CancellationToken cancellationToken)
        where TModel : class
    {
        if (version is not null && !model.Served.Snapshot.ByVersion.ContainsKey(version))
        {
            model.RecordNotFound(version);
            return new OipErrorResult(StatusCodes.Status404NotFound, $"Model '{model.Name}' has no loaded version '{version}'.");
        }

        var limits = model.Limits;
        var (body, bodyRefusal) = await RequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, cancellationToken);
        InferenceRequest? request;
        using (body)
        {
            if (bodyRefusal is not null)
            {
                model.RecordError(bodyRefusal.ErrorKind, version);
                return bodyRefusal.ToOipError(context.Response);
            }

            if (body.Length == 0)
            {
                return Refuse(model, version, RequestRefusal.Invalid("The body is empty; send an inference request object."));
            }

            try
            {
                request = JsonSerializer.Deserialize(body.Span, model.Json.Context.InferenceRequest);
            }
            catch (JsonException ex)
            {
                return Refuse(model, version, TypedModel<TModel>.JsonRefusal(ex, limits));
            }
        }

        if (request is null)
        {
            return Refuse(model, version, RequestRefusal.Invalid("The body must be an inference request object."));
        }

        if (Check(request, contract.Outputs, limits, out var routingKey) is { } invalid)
        {
            return Refuse(model, version, invalid);
        }

        TRequest bound;
        ModelCall<TResult> call;
        try
        {
            var binding = contract.Bind(new TensorInputs(request.Inputs, limits));
            if (binding.Refusal is { } refused)
            {
                return Refuse(model, version, refused);
            }

            bound = binding.Value!;
            call = await model.InvokeRoutedAsync(context, version, routingKey, bound, contract.Operation, contract.CountItems(bound), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The contract's own code failed (Bind, CountItems, Record): under /v2 even that keeps the protocol's error shape.
            return OpenInferenceApi.ServerError(context, model.Executor, model.Name, version, ex);
        }

        if (!call.IsOk)
        {
            return call.ToOipError();
        }

        // No 'outputs', or an empty list, asks for every output (as Triton reads an empty list).
        var names = request.Outputs is { Count: > 0 } requested ? requested.Select(o => o.Name).ToArray() : contract.Outputs.Select(o => o.Name).ToArray();
        var (modelName, versionName, id, result) = (model.Name, call.Version, request.Id, call.Value);
        return new StreamedJsonResult<InferenceResponse>(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("model_name"u8, modelName);
            writer.WriteString("model_version"u8, versionName);
            if (id is not null)
            {
                writer.WriteString("id"u8, id);
            }

            writer.WriteStartArray("outputs"u8);
            foreach (var output in names)
            {
                writer.WriteStartObject();
                writer.WriteString("name"u8, output);
                contract.WriteOutput(writer, output, bound, result);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }, exception => OpenInferenceApi.ServerError(context, model.Executor, modelName, versionName, exception)); // e.g. the contract wrote NaN
    }

    /// <summary>What the generic protocol handler checks before a model sees the request: parameters, outputs, datatypes and sizes.</summary>
    private static RequestRefusal? Check(InferenceRequest request, IReadOnlyList<MetadataTensor> outputs, ModelServerLimitsOptions limits, out string? routingKey)
    {
        routingKey = null;
        if (CheckParameters(request.Parameters, "parameters", ref routingKey) is { } parameters)
        {
            return parameters;
        }

        if (request.Inputs.Count == 0)
        {
            return RequestRefusal.Invalid("'inputs' is required and must hold at least one tensor.");
        }

        var total = 0L;
        foreach (var input in request.Inputs)
        {
            if (input is null)
            {
                return RequestRefusal.Invalid("Every entry of 'inputs' must be a tensor object, not null.");
            }

            if (string.IsNullOrEmpty(input.Name) || !InferenceRequestParser.TryParseDatatype(input.Datatype, out _))
            {
                return RequestRefusal.Invalid($"Input '{input.Name}' needs a name and a known datatype (got '{input.Datatype}').");
            }

            if (input.Shape.Count > 8 || input.Shape.Any(d => d < 0))
            {
                return RequestRefusal.Invalid($"Input '{input.Name}': 'shape' must be at most 8 non-negative integers.");
            }

            if (!TensorShape.TryCountElements(input.Shape, limits.MaxTensorElements, out var count))
            {
                return RequestRefusal.Limit($"Input '{input.Name}' has more than {limits.MaxTensorElements} elements (limit MaxTensorElements).");
            }

            total += count; // each count is within the limit and non-negative: the total only grows
            if (total > limits.MaxTensorElements)
            {
                return RequestRefusal.Limit($"The request has more than {limits.MaxTensorElements} tensor elements (limit MaxTensorElements).");
            }

            string? ignored = null;
            if (CheckParameters(input.Parameters, "inputs[].parameters", ref ignored) is { } inputParameters)
            {
                return inputParameters;
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var requested in request.Outputs ?? [])
        {
            if (requested is null)
            {
                return RequestRefusal.Invalid("Every entry of 'outputs' must be an object with a name, not null.");
            }

            if (!outputs.Any(o => string.Equals(o.Name, requested.Name, StringComparison.Ordinal)))
            {
                return RequestRefusal.Invalid($"The model has no output '{requested.Name}'; its outputs are {string.Join(", ", outputs.Select(o => o.Name))}.");
            }

            if (!seen.Add(requested.Name))
            {
                return RequestRefusal.Invalid($"Output '{requested.Name}' is requested more than once.");
            }

            string? ignored = null;
            if (CheckParameters(requested.Parameters, "outputs[].parameters", ref ignored) is { } outputParameters)
            {
                return outputParameters;
            }
        }

        return null;
    }

    private static RequestRefusal? CheckParameters(IReadOnlyDictionary<string, JsonElement>? parameters, string where, ref string? routingKey)
    {
        foreach (var (name, value) in parameters ?? new Dictionary<string, JsonElement>())
        {
            var isRoutingKey = string.Equals(name, InferenceRequestParser.RoutingKeyParameter, StringComparison.Ordinal);
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    if (isRoutingKey && !JsonStrings.TryGetString(value, out routingKey))
                    {
                        return RequestRefusal.Invalid($"Parameter '{InferenceRequestParser.RoutingKeyParameter}' {JsonStrings.NotText}.");
                    }

                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False when !isRoutingKey:
                    break;
                default:
                    return RequestRefusal.Invalid(isRoutingKey
                        ? $"Parameter '{InferenceRequestParser.RoutingKeyParameter}' must be a string."
                        : $"Parameter '{name}' in '{where}' must be a string, number or boolean.");
            }
        }

        return null;
    }

    private static OipErrorResult Refuse<TModel>(TypedModel<TModel> model, string? version, RequestRefusal refusal)
        where TModel : class
    {
        model.RecordRefusal(refusal, version);
        return new OipErrorResult(StatusCodes.Status400BadRequest, refusal.Message);
    }
}
