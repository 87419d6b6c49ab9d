using System.Buffers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lattice.Contracts;
using Lattice.Contracts.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

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

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var status in new[] { StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound })
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(InferenceErrorResponse), ["application/json"]));
        }
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
public sealed class StreamedJsonResult<TContract>(Action<Utf8JsonWriter> write) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
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
}
