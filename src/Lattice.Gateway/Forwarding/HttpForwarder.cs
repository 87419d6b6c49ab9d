using System.IO.Pipelines;
using Microsoft.AspNetCore.Diagnostics;
using System.Net;
using Lattice.Gateway.Routing;
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
        ActivityHeadersPropagator = new TracePropagator(System.Diagnostics.DistributedContextPropagator.Current),
    };

    /// <summary>Builds the upstream request: method, address, the client's headers (minus hop-by-hop), X-Forwarded-*.</summary>
    public static HttpRequestMessage CreateRequest(HttpContext context, Uri destination, HttpContent? content)
    {
        var request = new HttpRequestMessage(HttpMethod.Parse(context.Request.Method), destination)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = content,
        };
        HeaderRules.CopyRequestHeaders(context.Request, request);
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
                : timeout.TimedOut ? ForwarderError.RequestTimedOut
                : ForwarderError.UpstreamRequestFailed;
            return new ForwardAttempt(null, error, exception);
        }
        catch (HttpRequestException exception)
        {
            return new ForwardAttempt(null, Classify(request.Content as StreamingRequestContent, exception, requestAborted), exception);
        }
        catch (Exception exception) when (request.Content is StreamingRequestContent { Error: not ForwarderError.None } content)
        {
            return new ForwardAttempt(null, content.Error, exception);
        }
    }

    private static ForwarderError Classify(StreamingRequestContent? content, HttpRequestException exception, CancellationToken requestAborted)
    {
        if (content is { Error: not ForwarderError.None })
        {
            return content.Error;
        }

        if (requestAborted.IsCancellationRequested)
        {
            return ForwarderError.RequestCanceled;
        }

        var nothingSent = content is null || !content.Started;
        return exception.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError && nothingSent
            ? ForwarderError.ConnectFailed
            : ForwarderError.UpstreamRequestFailed;
    }

    /// <summary>Relays status, headers and the body (streamed) to the client.</summary>
    public static async ValueTask<ForwarderError> CopyResponseAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var destination = context.Response;
        destination.StatusCode = (int)response.StatusCode;
        HeaderRules.CopyResponseHeaders(response, destination);

        // Upstream 4xx/5xx bodies are the service's own ProblemDetails: relay them untouched.
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
        {
            statusPages.Enabled = false;
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

        var remaining = response.Content.Headers.ContentLength ?? -1;
        var writer = destination.BodyWriter;
        await using (source)
        {
            while (remaining != 0)
            {
                var memory = writer.GetMemory(remaining is > 0 and < 4096 ? (int)remaining : 4096);
                int read;
                try
                {
                    read = await source.ReadAsync(memory, cancellationToken);
                }
                catch (Exception)
                {
                    return cancellationToken.IsCancellationRequested ? ForwarderError.ResponseBodyClient : ForwarderError.ResponseBodyDestination;
                }

                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                if (remaining > 0)
                {
                    remaining -= read;
                    if (remaining <= 0)
                    {
                        // The whole body is in Kestrel's buffer; the end of the request flushes it with the headers in one write.
                        break;
                    }
                }

                try
                {
                    var flushed = await writer.FlushAsync(cancellationToken);
                    if (flushed.IsCanceled || flushed.IsCompleted)
                    {
                        return ForwarderError.ResponseBodyClient;
                    }
                }
                catch (Exception)
                {
                    return ForwarderError.ResponseBodyClient;
                }
            }
        }

        return ForwarderError.None;
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
