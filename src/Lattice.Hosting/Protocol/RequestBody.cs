using System.Buffers;
using System.IO.Pipelines;
using Lattice.Hosting.Apis;
using Lattice.Hosting.Telemetry;
using Lattice.ServiceDefaults.Compression;
using Lattice.ServiceDefaults.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Lattice.Hosting.Protocol;

/// <summary>
/// Why a body was refused before it was parsed: too large (413), sent in a content coding the server does not decode
/// (415, with <c>Accept-Encoding</c> naming the ones it does), declared in a charset other than UTF-8 (415) or not
/// valid data of its coding (400). Each API answers it in its own error shape.
/// </summary>
internal sealed record BodyRefusal(int StatusCode, string ErrorKind, string Message)
{
    /// <summary>A 415 for the body's charset, not its content coding: no <c>Accept-Encoding</c> would help.</summary>
    public bool IsCharset { get; private init; }

    public static BodyRefusal Charset(string charset) =>
        new(StatusCodes.Status415UnsupportedMediaType, HostingTags.ErrorKinds.BadInput, JsonCharset.NotUtf8(charset)) { IsCharset = true };

    public static BodyRefusal TooLarge(int limit) => new(StatusCodes.Status413PayloadTooLarge, HostingTags.ErrorKinds.Limit,
        $"The body is larger than {limit} bytes (limit MaxRequestBodyBytes).");

    public static BodyRefusal Decoding(ContentDecodeStatus status, int limit, string error) => status switch
    {
        ContentDecodeStatus.TooLarge => new(StatusCodes.Status413PayloadTooLarge, HostingTags.ErrorKinds.Limit,
            $"The body is larger than {limit} bytes once decompressed (limit MaxRequestBodyBytes)."),
        ContentDecodeStatus.Unsupported => new(StatusCodes.Status415UnsupportedMediaType, HostingTags.ErrorKinds.BadInput, error),
        _ => new(StatusCodes.Status400BadRequest, HostingTags.ErrorKinds.BadInput, error),
    };

    /// <summary>
    /// A body the server could not read to its end (Kestrel's <see cref="BadHttpRequestException"/>): it did not arrive
    /// in time (408, the minimum data rate), its chunked framing is broken (400) or it is larger than the server allows (413).
    /// </summary>
    public static BodyRefusal Unreadable(BadHttpRequestException exception, int limit) => exception.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => TooLarge(limit),
        StatusCodes.Status408RequestTimeout => new(StatusCodes.Status408RequestTimeout, HostingTags.ErrorKinds.BadInput,
            "The request body did not arrive in time; it was sent too slowly or stopped before its end."),
        var status => new(status, HostingTags.ErrorKinds.BadInput, $"The request body could not be read: {exception.Message}"),
    };

    /// <summary>The typed APIs' answer: a ProblemDetails.</summary>
    public ProblemHttpResult ToProblem(HttpResponse response)
    {
        SetHeaders(response);
        var (title, type) = StatusCode switch
        {
            StatusCodes.Status415UnsupportedMediaType when IsCharset => (ProblemTitles.UnsupportedMediaType, ProblemTypes.UnsupportedMediaType),
            StatusCodes.Status413PayloadTooLarge => (ProblemTitles.PayloadTooLarge, ProblemTypes.PayloadTooLarge),
            StatusCodes.Status415UnsupportedMediaType => (ProblemTitles.UnsupportedContentEncoding, ProblemTypes.UnsupportedMediaType),
            StatusCodes.Status408RequestTimeout => (ProblemTitles.RequestTimeout, ProblemTypes.RequestTimeout),
            _ => (ModelServerProblemTitles.InvalidInput, ModelServerProblemTypes.InvalidInput),
        };
        return TypedResults.Problem(Message, statusCode: StatusCode, title: title, type: type);
    }

    /// <summary>The Open Inference Protocol's answer: <c>{"error": "..."}</c>.</summary>
    public OipErrorResult ToOipError(HttpResponse response)
    {
        SetHeaders(response);
        return new OipErrorResult(StatusCode, Message);
    }

    private void SetHeaders(HttpResponse response)
    {
        if (StatusCode == StatusCodes.Status415UnsupportedMediaType && !IsCharset)
        {
            response.Headers[HeaderNames.AcceptEncoding] = ContentCodings.Supported; // RFC 9110 §15.5.16
        }
    }
}

/// <summary>A request body in a pooled buffer, decoded if it came with a <c>Content-Encoding</c>; dispose to return it.</summary>
internal readonly struct RequestBody(byte[] buffer, int length) : IDisposable
{
    /// <summary>The refusal of a well-formed body whose root is not a JSON object (every request body must be one).</summary>
    public const string NotAnObject = "The body must be a JSON object.";

    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

    public int Length => length;

    /// <summary>
    /// Reads the whole body, refusing more than <paramref name="limit"/> bytes before buffering them, and undoes its
    /// content codings (gzip, deflate, br) under the same limit. An empty body is a body of <see cref="Length"/> 0. A
    /// <c>Content-Type</c> that declares a charset other than UTF-8 is refused before the body is read.
    /// </summary>
    public static async ValueTask<(RequestBody Body, BodyRefusal? Refusal)> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        // Every body read here is parsed as UTF-8 JSON: one declared in another charset would only fail as malformed.
        if (!JsonCharset.IsUtf8(request.ContentType, out var charset))
        {
            return (default, BodyRefusal.Charset(charset!));
        }

        var declared = request.ContentLength;
        if (declared > limit)
        {
            return (default, BodyRefusal.TooLarge(limit));
        }

        var reader = request.BodyReader;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(cancellationToken);
            }
            catch (BadHttpRequestException ex)
            {
                // A client that went away is a ConnectionResetException or a cancellation, not this: it stays unanswered (499).
                return (default, BodyRefusal.Unreadable(ex, limit));
            }

            var buffered = read.Buffer;
            if (buffered.Length > limit)
            {
                reader.AdvanceTo(buffered.Start, buffered.End);
                return (default, BodyRefusal.TooLarge(limit));
            }

            if (!read.IsCompleted)
            {
                reader.AdvanceTo(buffered.Start, buffered.End); // nothing consumed: wait for the rest
                continue;
            }

            if (buffered.IsEmpty)
            {
                reader.AdvanceTo(buffered.End);
                return (default, null);
            }

            var length = (int)buffered.Length;
            var copy = ArrayPool<byte>.Shared.Rent(length);
            buffered.CopyTo(copy);
            reader.AdvanceTo(buffered.End);
            var encoding = request.Headers.ContentEncoding;
            return ContentCodings.IsEncoded(encoding) ? Decode(copy, length, encoding, limit) : (new RequestBody(copy, length), null);
        }
    }

    private static (RequestBody Body, BodyRefusal? Refusal) Decode(byte[] raw, int length, StringValues encoding, int limit)
    {
        try
        {
            var status = ContentCodings.Decode(raw, length, encoding, limit, out var decoded, out var decodedLength, out var error);
            return status == ContentDecodeStatus.Ok
                ? (new RequestBody(decoded!, decodedLength), null)
                : (default, BodyRefusal.Decoding(status, limit, error!));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    public void Dispose()
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
