using System.Buffers;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lattice.Contracts;
using Lattice.Contracts.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace Lattice.Hosting.Apis;

/// <summary>An Open Inference Protocol error: <c>{"error": "..."}</c> with its status (and Retry-After on 429).</summary>
public sealed class OipErrorResult(int statusCode, string message, int retryAfterSeconds = 0) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
{
    public int StatusCode => statusCode;

    int? IStatusCodeHttpResult.StatusCode => statusCode;

    public string Message => message;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = statusCode;
        if (retryAfterSeconds > 0)
        {
            httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        httpContext.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(httpContext.Response.Body, new InferenceErrorResponse(message),
            ContractsJsonContext.Default.InferenceErrorResponse, httpContext.RequestAborted);
    }

    /// <summary>500: an unexpected failure while answering (the model threw or answered a non-finite number); the details are only logged.</summary>
    public static OipErrorResult ServerError(string model, string? version) =>
        new(StatusCodes.Status500InternalServerError, ModelServerProblems.ServerErrorMessage(model, version)
            + (Activity.Current is { } activity ? $" under trace id {activity.TraceId.ToHexString()}." : "."));

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var status in new[] { StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound })
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(InferenceErrorResponse), ["application/json"]));
        }
    }
}

/// <summary>Describes Open Inference Protocol routes beyond what their result types say.</summary>
internal static class OipEndpointConventions
{
    /// <summary>
    /// Documents the <see cref="InferenceRequest"/> body as <c>application/json</c> and accepts it under any Content-Type
    /// (or none), as KServe and Triton do: the body is parsed as JSON whatever the header says. Requiring the header
    /// would make routing skip the endpoint for <c>curl -d</c> (form-urlencoded) or a missing header, and the
    /// <c>/v2</c> catch-all would answer a misleading 404.
    /// </summary>
    public static RouteHandlerBuilder AcceptsInferenceRequest(this RouteHandlerBuilder builder) =>
        builder.Accepts<InferenceRequest>("application/json", "*/*");

    /// <summary>Adds <c>{"error"}</c> answers with these statuses to the endpoint's OpenAPI description.</summary>
    public static RouteHandlerBuilder ProducesOipErrors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<InferenceErrorResponse>(status, "application/json");
        }

        return builder;
    }

    /// <summary>The statuses an inference call may answer besides 200, 400 and 404 (415: a content coding the server does not decode).</summary>
    public static RouteHandlerBuilder ProducesInferenceErrors(this RouteHandlerBuilder builder) => builder.ProducesOipErrors(
        StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests,
        StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable);

    /// <summary>Maps GET, documented, and HEAD (the same answer without a body, for probes), left out of the OpenAPI document.</summary>
    public static RouteHandlerBuilder MapGetAndHead(this IEndpointRouteBuilder endpoints, string pattern, Delegate handler)
    {
        endpoints.MapMethods(pattern, [HttpMethods.Head], handler).ExcludeFromDescription();
        return endpoints.MapGet(pattern, handler);
    }
}

/// <summary>A 200 JSON body written with source-generated metadata.</summary>
public sealed class OipJsonResult<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode = StatusCodes.Status200OK) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
{
    public T Value => value;

    int? IStatusCodeHttpResult.StatusCode => statusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = statusCode;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(httpContext.Response.Body, value, typeInfo, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
    }
}

/// <summary>A JSON body written by a hot-path writer into a reused per-thread buffer, then sent with a Content-Length.</summary>
/// <typeparam name="TContract">The contract type the body conforms to (for OpenAPI).</typeparam>
/// <param name="write">Writes the body; it runs before the response starts.</param>
/// <param name="writeFailed">
/// The answer when <paramref name="write"/> throws (nothing was sent yet), e.g. the API's own server error shape; without
/// it the exception propagates to the exception handler.
/// </param>
public sealed class StreamedJsonResult<TContract>(Action<Utf8JsonWriter> write, Func<Exception, IResult>? writeFailed = null)
    : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
{
    int? IStatusCodeHttpResult.StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var buffer = JsonBuffer.Rent();
        try
        {
            write(buffer.Writer);
            buffer.Writer.Flush();
        }
        catch (Exception ex) when (writeFailed is not null)
        {
            buffer.Return();
            return writeFailed(ex).ExecuteAsync(httpContext);
        }
        catch
        {
            buffer.Return();
            throw;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.Output.WrittenCount;
        // Headers first: body bytes written before the response has started take a detour through Kestrel's side
        // buffers (rented, then copied behind the headers).
        var start = response.StartAsync(httpContext.RequestAborted);
        if (!start.IsCompletedSuccessfully)
        {
            return WriteAfterStartAsync(start, httpContext, buffer);
        }

        WriteBody(response, buffer);
        var flush = response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }

    private static async Task WriteAfterStartAsync(Task start, HttpContext httpContext, JsonBuffer buffer)
    {
        try
        {
            await start;
        }
        catch
        {
            buffer.Return();
            throw;
        }

        WriteBody(httpContext.Response, buffer);
        await httpContext.Response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    private static void WriteBody(HttpResponse response, JsonBuffer buffer)
    {
        try
        {
            response.BodyWriter.Write(buffer.Output.WrittenSpan); // copies: the buffer is free again before any await
        }
        finally
        {
            buffer.Return();
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TContract), ["application/json"]));
    }
}

/// <summary>A per-thread output buffer and JSON writer, reused across responses so writing allocates nothing.</summary>
internal sealed class JsonBuffer
{
    [ThreadStatic]
    private static JsonBuffer? _cached;

    private JsonBuffer()
    {
        Output = new ArrayBufferWriter<byte>(1024);
        Writer = new Utf8JsonWriter(Output, new JsonWriterOptions { SkipValidation = true });
    }

    public ArrayBufferWriter<byte> Output { get; }

    public Utf8JsonWriter Writer { get; }

    public static JsonBuffer Rent()
    {
        var buffer = _cached ?? new JsonBuffer();
        _cached = null;
        return buffer;
    }

    public void Return()
    {
        if (Output.Capacity > 256 * 1024)
        {
            return; // a huge batch response: let it go rather than pin its memory to the thread
        }

        Output.ResetWrittenCount();
        Writer.Reset(Output);
        _cached = this;
    }
}

internal static class ResponseHeaders
{
    public static void SetVersion(HttpResponse response, string version, Routing.RouteReason reason)
    {
        var headers = response.Headers;
        headers[ModelServerHeaders.ModelVersion] = version;
        headers[ModelServerHeaders.Route] = reason switch
        {
            Routing.RouteReason.Explicit => "explicit",
            Routing.RouteReason.Weighted => "weighted",
            Routing.RouteReason.Sticky => "sticky",
            _ => "default",
        };
    }

    /// <summary>Takes the version headers back when the answer turned into an error after they were set.</summary>
    public static void ClearVersion(HttpResponse response)
    {
        response.Headers.Remove(ModelServerHeaders.ModelVersion);
        response.Headers.Remove(ModelServerHeaders.Route);
    }
}
