using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Lattice.Gateway.Routing;
using Lattice.ServiceDefaults.Problems;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.Forwarding;

/// <summary>One attempt's outcome: the upstream's response (headers read, body not yet) or why there is none.</summary>
internal readonly record struct ForwardAttempt(HttpResponseMessage? Response, ForwarderError Error, Exception? Exception = null);

/// <summary>
/// The forwarding core: sends one request to one replica over a single pooled <see cref="HttpMessageInvoker"/>
/// and relays the response, both bodies streamed. Failures come back as <see cref="ForwarderError"/>.
/// Choosing the replica, retrying and answering errors is the caller's job.
/// </summary>
internal sealed class HttpForwarder : IDisposable
{
    /// <summary>Bodies of known length up to this are read straight into Kestrel's pipe and sent with the headers in one write.</summary>
    private const int SmallBodyLimit = 16 * 1024;
    private const int LargeBuffer = 64 * 1024;

    private static readonly TracePropagator Propagator = new(DistributedContextPropagator.Current);
    private static readonly DistributedContextPropagator.PropagatorSetterCallback SetHeader = static (carrier, name, value) =>
        ((HttpRequestMessage)carrier!).Headers.TryAddWithoutValidation(name, value);

    private readonly HttpMessageInvoker _invoker;

    public HttpForwarder(IOptions<GatewayOptions> options)
        : this(CreateHandler(options.Value))
    {
    }

    internal HttpForwarder(HttpMessageHandler handler) => _invoker = new HttpMessageInvoker(handler, disposeHandler: true);

    /// <summary>The connection settings YARP uses for a proxy: no cookies, redirects, decompression or proxy; generous pooling.</summary>
    public static SocketsHttpHandler CreateHandler(GatewayOptions options) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = options.ConnectTimeout,
        PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
        ActivityHeadersPropagator = Propagator,

        // Kestrel reads a client's header value as ASCII, or as UTF-8 when it is not ASCII; send it on in the same
        // encoding, byte for byte. HttpClient's default (ASCII only) made a header such as "X-Note: café" fail the
        // attempt, which counted against a healthy upstream and could open its circuit for every caller.
        RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
    };

    /// <summary>
    /// Builds the upstream request: method, address, the client's headers (minus hop-by-hop), X-Forwarded-*, and the
    /// W3C trace context of <paramref name="trace"/> (the attempt's span) in place of the client's. Without a span the
    /// client's traceparent passes through unchanged.
    /// </summary>
    public static HttpRequestMessage CreateRequest(HttpContext context, Uri destination, HttpContent? content, Activity? trace)
    {
        var request = new HttpRequestMessage(HttpMethod.Parse(context.Request.Method), destination)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = content,
        };
        HeaderRules.CopyRequestHeaders(context.Request, request);
        if (trace is not null)
        {
            Propagator.Inject(trace, request, SetHeader);
        }

        return request;
    }

    /// <summary>Sends the request and waits for the response headers; never throws for network failures.</summary>
    public async ValueTask<ForwardAttempt> SendAsync(HttpRequestMessage request, TimeoutScope timeout, CancellationToken requestAborted)
    {
        try
        {
            var response = await _invoker.SendAsync(request, timeout.Token);
            return new ForwardAttempt(response, ForwarderError.None);
        }
        catch (OperationCanceledException exception)
        {
            var error = requestAborted.IsCancellationRequested ? ForwarderError.RequestCanceled
                : timeout.TimedOut ? TimedOut(request.Content as ForwardedRequestContent)
                : ForwarderError.UpstreamRequestFailed;
            return new ForwardAttempt(null, error, exception);
        }
        catch (HttpRequestException exception)
        {
            return new ForwardAttempt(null, Classify(request.Content as ForwardedRequestContent, exception, timeout, requestAborted), exception);
        }
        catch (Exception exception) when (request.Content is ForwardedRequestContent { Error: not ForwarderError.None } content)
        {
            return new ForwardAttempt(null, timeout.TimedOut ? TimedOut(content) : content.Error, exception);
        }
    }

    /// <summary>
    /// The route's timeout passed before the response headers: the replica's fault, unless the attempt was still waiting
    /// for the client's body (a client that stops sending must not open a healthy replica's circuit for everyone).
    /// </summary>
    private static ForwarderError TimedOut(ForwardedRequestContent? content) =>
        content is { WaitingForClient: true } ? ForwarderError.RequestBodyTimedOut : ForwarderError.RequestTimedOut;

    private static ForwarderError Classify(ForwardedRequestContent? content, HttpRequestException exception, TimeoutScope timeout, CancellationToken requestAborted)
    {
        if (requestAborted.IsCancellationRequested)
        {
            return ForwarderError.RequestCanceled;
        }

        if (timeout.TimedOut)
        {
            // The copy of a body saw the timeout's cancellation as its own (RequestCanceled): the timeout decides.
            return TimedOut(content);
        }

        if (content is { Error: not ForwarderError.None })
        {
            return content.Error;
        }

        var nothingSent = content is null || !content.Started;
        return exception.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError && nothingSent
            ? ForwarderError.ConnectFailed
            : ForwarderError.UpstreamRequestFailed;
    }

    /// <summary>True for an answer whose whole body is at most 16 KB and is relayed in one write with the headers.</summary>
    public static bool HasSmallBody(HttpResponseMessage response) => response.Content.Headers.ContentLength is >= 0 and <= SmallBodyLimit;

    /// <summary>
    /// Reads a small body (<see cref="HasSmallBody"/>) whole into a pooled buffer, under the route's timeout, before
    /// anything is sent: a stall is <see cref="ForwarderError.RequestTimedOut"/>, a break or a body shorter than its
    /// Content-Length <see cref="ForwarderError.ResponseBodyDestination"/>, a client that left
    /// <see cref="ForwarderError.RequestCanceled"/>. The caller returns the buffer (<see cref="SmallBody.Return"/>).
    /// </summary>
    public static async ValueTask<SmallBody> ReadSmallBodyAsync(HttpResponseMessage response, TimeoutScope timeout)
    {
        var expected = (int)response.Content.Headers.ContentLength!.Value;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(expected, 1));
        var read = 0;
        var error = ForwarderError.None;
        try
        {
            await using var source = await response.Content.ReadAsStreamAsync(timeout.Token);
            while (read < expected)
            {
                var count = await source.ReadAsync(buffer.AsMemory(read, expected - read), timeout.Token);
                if (count == 0)
                {
                    error = ForwarderError.ResponseBodyDestination;
                    break;
                }

                read += count;
            }
        }
        catch (Exception)
        {
            error = timeout.RequestAborted.IsCancellationRequested ? ForwarderError.RequestCanceled
                : timeout.TimedOut ? ForwarderError.RequestTimedOut
                : ForwarderError.ResponseBodyDestination;
        }

        return new SmallBody(buffer, read, error);
    }

    /// <summary>Relays the body (streamed) to the client, once status and headers are set.</summary>
    public static async ValueTask<ForwarderError> CopyResponseBodyAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!CanHaveBody(context, response))
        {
            return ForwarderError.None; // a body sent anyway with 204 or 304 (or to HEAD) is not relayed, as nginx drops it
        }

        Stream source;
        try
        {
            source = await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        catch (Exception)
        {
            return cancellationToken.IsCancellationRequested ? ForwarderError.ResponseBodyClient : ForwarderError.ResponseBodyDestination;
        }

        await using (source)
        {
            return await CopyBodyAsync(context.Response, source, cancellationToken);
        }
    }

    /// <summary>
    /// Status and headers only; upstream 4xx/5xx bodies are the service's own ProblemDetails and stay untouched. False
    /// for a status that cannot be relayed (a 1xx such as 101 as the final answer, or one outside 100-599) and when
    /// Kestrel refuses a header the upstream sent (a control or non-ASCII character, a Content-Length given twice):
    /// the response is reset, nothing has been sent, and the caller answers 502.
    /// </summary>
    public static bool TryCopyStatusAndHeaders(HttpContext context, HttpResponseMessage response)
    {
        if ((int)response.StatusCode is < 200 or > 599)
        {
            // A 1xx is never a final answer here (the gateway forwards no Upgrade), and HTTP has no status outside 100-599.
            return false;
        }

        try
        {
            context.Response.StatusCode = (int)response.StatusCode;
            HeaderRules.CopyResponseHeaders(response, context.Response);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                context.Response.ContentLength = null; // Kestrel refuses a length on a 204 (a HEAD or 304 keeps its own)
            }
        }
        catch (InvalidOperationException) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            return false;
        }

        if (context.Response.StatusCode >= StatusCodes.Status400BadRequest)
        {
            StatusCodeProblems.Skip(context);
        }

        return true;
    }

    /// <summary>False for a 204, a 304 and an answer to HEAD, which carry no body whatever the upstream sends.</summary>
    public static bool CanHaveBody(HttpContext context, HttpResponseMessage response) =>
        response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.NotModified) && !HttpMethods.IsHead(context.Request.Method);

    /// <summary>Large or chunked bodies: a pooled 64 KB buffer, each chunk flushed as it arrives (so streams such as SSE flow).</summary>
    public static async ValueTask<ForwarderError> CopyBodyAsync(HttpResponse destination, Stream source, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(LargeBuffer);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(buffer, cancellationToken);
                }
                catch (Exception)
                {
                    return cancellationToken.IsCancellationRequested ? ForwarderError.ResponseBodyClient : ForwarderError.ResponseBodyDestination;
                }

                if (read == 0)
                {
                    return ForwarderError.None;
                }

                try
                {
                    await destination.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                catch (Exception)
                {
                    return ForwarderError.ResponseBodyClient;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Copies a small body read whole into Kestrel's response pipe without flushing: the end of the request sends it with
    /// the headers in one write (an explicit flush here measured slower).
    /// </summary>
    public static void WriteSmallBody(HttpResponse response, ReadOnlySpan<byte> body)
    {
        var writer = response.BodyWriter;
        body.CopyTo(writer.GetSpan(body.Length));
        writer.Advance(body.Length);
    }

    /// <summary>Copies an already-buffered body (a cached or captured response) to the client.</summary>
    public static ValueTask<FlushResult> WriteBodyAsync(HttpResponse response, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        response.BodyWriter.WriteAsync(body, cancellationToken);

    public void Dispose() => _invoker.Dispose();
}

/// <summary>
/// The cancellation of one forwarded request: the route's timeout until response headers, linked with the
/// client's abort. Tells which of the two fired.
/// </summary>
internal sealed class TimeoutScope : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenRegistration _abortRegistration;

    public TimeoutScope(TimeSpan timeout, TimeProvider timeProvider, CancellationToken requestAborted)
    {
        _timeout = new CancellationTokenSource(timeout, timeProvider);
        _abortRegistration = requestAborted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _timeout);
        RequestAborted = requestAborted;
    }

    public CancellationToken Token => _timeout.Token;

    public CancellationToken RequestAborted { get; }

    /// <summary>True when the timeout, not the client, cancelled the request.</summary>
    public bool TimedOut => _timeout.IsCancellationRequested && !RequestAborted.IsCancellationRequested;

    /// <summary>Response headers arrived: the body is bounded only by the client staying.</summary>
    public void StopTimer() => _timeout.CancelAfter(Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        _abortRegistration.Dispose();
        _timeout.Dispose();
    }
}

/// <summary>A small answer body read whole (<see cref="HttpForwarder.ReadSmallBodyAsync"/>), in a pooled buffer.</summary>
internal readonly struct SmallBody(byte[]? buffer, int length, ForwarderError error)
{
    public ForwarderError Error => error;

    public ReadOnlyMemory<byte> Bytes => buffer is null ? default : buffer.AsMemory(0, length);

    /// <summary>Gives the buffer back to the pool; the default value holds none.</summary>
    public void Return()
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
