using System.Buffers;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Lattice.Gateway.Auth;
using Lattice.Gateway.Caching;
using Lattice.Gateway.Forwarding;
using Lattice.Gateway.LoadBalancing;
using Lattice.Gateway.RateLimiting;
using Lattice.Gateway.Routing;
using Lattice.Gateway.Telemetry;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Polly;
using Polly.CircuitBreaker;

namespace Lattice.Gateway.Proxy;

/// <summary>
/// The request path of every routed request, in order: route match, header and body limits (431, 413), authentication
/// and scope (401, 403), global concurrency and the caller's rate limit (429), the response cache, then attempts on
/// replicas chosen by the balancer through each replica's circuit breaker, retried on another replica only when
/// nothing was sent or the request is idempotent. Paths no route matches fall through to the endpoints (then 404).
/// </summary>
internal sealed partial class ProxyMiddleware(
    RequestDelegate next,
    RouteTable routes,
    HttpForwarder forwarder,
    ClusterRegistry clusters,
    ReplicaSelector selector,
    GatewayAuthenticator authenticator,
    GatewayRateLimiter limiter,
    ResponseCache cache,
    GatewayProblems problems,
    GatewayTelemetry telemetry,
    IOptions<GatewayOptions> options,
    TimeProvider timeProvider,
    ILogger<ProxyMiddleware> logger)
{
    public const string CacheStatusHeader = "Cache-Status";
    private const string CacheHit = "lattice; hit";
    private const string CacheMiss = "lattice; fwd=miss";
    private const string CacheMissStored = "lattice; fwd=miss; stored";
    private const string CacheBypass = "lattice; fwd=bypass";
    private const string CacheRequested = "lattice; fwd=request";

    /// <summary>What a 405 for CONNECT names in <c>Allow</c>: the methods HTTP defines besides it (others pass too).</summary>
    private const string ForwardedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE";

    private readonly GatewayOptions _options = options.Value;
    private readonly string _modelVersionHeader = cache.Options.ModelVersionHeader;

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path is null)
        {
            return next(context);
        }

        var route = routes.Match(path, out var remainder);
        return route is null ? next(context) : HandleAsync(context, route, remainder);
    }

    private async Task HandleAsync(HttpContext context, GatewayRoute route, string remainder)
    {
        try
        {
            await ProcessAsync(context, route, remainder);
        }
        finally
        {
            telemetry.Request(route.Id, context.Response.StatusCode);
        }
    }

    private async Task ProcessAsync(HttpContext context, GatewayRoute route, string remainder)
    {
        var request = context.Request;
        if (HttpMethods.IsConnect(request.Method))
        {
            // The gateway forwards requests; it opens no tunnels. HttpClient would refuse to send the CONNECT, and that
            // failure would count against a healthy replica.
            context.Response.Headers.Allow = ForwardedMethods;
            await problems.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, ProblemTitles.MethodNotAllowed,
                $"CONNECT is not forwarded (the gateway opens no tunnels); allowed: {ForwardedMethods}.");
            return;
        }

        if (request.ContentLength > route.MaxRequestBodyBytes)
        {
            await WriteBodyTooLargeAsync(context, route);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = route.MaxRequestBodyBytes;
        }

        GatewayPrincipal? principal = null;
        if (route.RequiredScope is { } scope)
        {
            var auth = await authenticator.AuthenticateAsync(request, context.RequestAborted);
            if (auth.Principal is null)
            {
                await WriteUnauthorizedAsync(context, auth.Failure);
                return;
            }

            if (!auth.Principal.Allows(scope))
            {
                context.Response.Headers.WWWAuthenticate = AuthChallenge.InsufficientScope(scope);
                await problems.WriteAsync(context, StatusCodes.Status403Forbidden, ProblemTitles.InsufficientScope,
                    $"This route needs the scope '{scope}'.");
                return;
            }

            principal = auth.Principal;
        }

        if (!limiter.TryEnter(_options.MaxConcurrentRequests))
        {
            telemetry.RateLimited("concurrency");
            await problems.WriteRetryAfterAsync(context, StatusCodes.Status429TooManyRequests, TimeSpan.FromSeconds(1),
                ProblemTitles.TooManyRequests, "The gateway is at its concurrency limit.");
            return;
        }

        try
        {
            if (principal is not null && limiter.Enabled && !limiter.TryAcquire(principal, out var retryAfter))
            {
                telemetry.RateLimited("key");
                await problems.WriteRetryAfterAsync(context, StatusCodes.Status429TooManyRequests, retryAfter,
                    ProblemTitles.TooManyRequests, "The caller's rate limit is exhausted.");
                return;
            }

            var upstreamPath = route.UpstreamPathAndQuery(UpstreamRemainder(context, remainder), request.QueryString.Value);
            await ForwardAsync(context, route, upstreamPath, principal?.Id);
        }
        finally
        {
            limiter.Exit();
        }
    }

    private async Task ForwardAsync(HttpContext context, GatewayRoute route, string upstreamPath, string? caller)
    {
        var request = context.Request;
        byte[]? bufferedBody = null;
        var bufferedLength = 0;
        CacheLookup lookup = default;
        try
        {
            if (route.Cache)
            {
                try
                {
                    (lookup, bufferedBody, bufferedLength) = await LookupAsync(context, route, upstreamPath, caller);
                }
                catch (BadHttpRequestException bad)
                {
                    // Reading the body to key it: over the route's body limit, slower than Kestrel's minimum data rate,
                    // or malformed (e.g. broken chunking).
                    await (bad.StatusCode switch
                    {
                        StatusCodes.Status413PayloadTooLarge => WriteBodyTooLargeAsync(context, route),
                        StatusCodes.Status408RequestTimeout => WriteBodyTimedOutAsync(context, route),
                        _ => problems.WriteAsync(context, StatusCodes.Status400BadRequest, ProblemTitles.BadRequest, "Reading the request body failed."),
                    });
                    return;
                }
                catch (Exception exception) when (exception is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
                {
                    context.Response.StatusCode = 499; // the client went away while sending its body; nobody reads an answer
                    return;
                }

                if (lookup.Hit is { } hit)
                {
                    await WriteCachedAsync(context, hit);
                    return;
                }

                if (lookup.Status is not null)
                {
                    context.Response.Headers[CacheStatusHeader] = lookup.Status;
                }
            }

            var replicas = await clusters.ResolveAsync(route.Cluster, context.RequestAborted);
            if (replicas.Length == 0)
            {
                await problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTitles.ServiceUnavailable,
                    $"No replica of '{route.Service}' is registered.");
                return;
            }

            // A body-less idempotent request goes without content, so the handler may repeat it on a fresh connection.
            var content = bufferedBody is not null ? ForwardedRequestContent.Buffered(bufferedBody.AsMemory(0, bufferedLength))
                : context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true ? ForwardedRequestContent.Streamed(request.BodyReader)
                : IsIdempotent(request.Method) ? null
                : ForwardedRequestContent.Empty();
            await ForwardToReplicasAsync(context, route, upstreamPath, replicas, content, lookup);
        }
        finally
        {
            if (bufferedBody is not null)
            {
                ArrayPool<byte>.Shared.Return(bufferedBody);
            }
        }
    }

    private async Task ForwardToReplicasAsync(
        HttpContext context, GatewayRoute route, string upstreamPath, Replica[] replicas, ForwardedRequestContent? content, CacheLookup lookup)
    {
        using var timeout = new TimeoutScope(route.Timeout, timeProvider, context.RequestAborted);
        var idempotent = IsIdempotent(context.Request.Method);
        var tried = 0UL;
        var attempts = 0;
        ForwardAttempt result = new(null, ForwarderError.NoAvailableReplica);
        Replica? replica = null;
        var index = selector.Select(replicas, tried, timeProvider.GetUtcNow().UtcTicks);
        while (index >= 0)
        {
            tried |= 1UL << index;
            replica = replicas[index];
            replica.Enter();
            result = await SendAttemptAsync(context, route, replica, upstreamPath, content, timeout, attempts);
            attempts++;
            if (result.Error == ForwarderError.None && !(idempotent && content is null && IsRetryableStatus(result.Response!)))
            {
                break;
            }

            var resendable = content is null || content.CanResend;
            var retry = attempts <= _options.MaxRetries && resendable && !timeout.Token.IsCancellationRequested
                && (ForwarderErrors.NothingSent(result.Error)
                    || (idempotent && (ForwarderErrors.IsReplicaFailure(result.Error) || result.Error == ForwarderError.None)));
            index = retry ? selector.Select(replicas, tried, timeProvider.GetUtcNow().UtcTicks) : -1;
            if (index < 0)
            {
                break;
            }

            telemetry.Retry(route.Id, result.Error);
            result.Response?.Dispose();
            replica.Leave();
            replica = null;
        }

        try
        {
            if (result.Response is not { } response)
            {
                if (result.Error == ForwarderError.RequestBodyTimedOut && content is not null)
                {
                    // The timeout cancelled the copy's read of the client's body; once it has let go of the body
                    // reader, Kestrel may close the connection without two readers at once.
                    await content.CopyEnded.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                await WriteForwardErrorAsync(context, route, replica, replicas, result);
                return;
            }

            await RelayAsync(context, route, replica!, response, lookup, timeout);
        }
        finally
        {
            result.Response?.Dispose();
            content?.Dispose();
            replica?.Leave();
        }
    }

    private async ValueTask<ForwardAttempt> SendAttemptAsync(
        HttpContext context, GatewayRoute route, Replica replica, string upstreamPath, ForwardedRequestContent? content, TimeoutScope timeout, int attempt)
    {
        content?.BeginAttempt();
        // The client span of this attempt (HttpClient's own is switched off in the runtime config).
        using var activity = GatewayTelemetry.Source.StartActivity(route.ActivityName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("lattice.route", route.Id);
            activity.SetTag("lattice.service", route.Service);
            activity.SetTag("server.address", replica.Name);
            activity.SetTag("lattice.attempt", attempt);
        }

        var started = timeProvider.GetTimestamp();
        var message = HttpForwarder.CreateRequest(context, replica.UriFor(upstreamPath), content, activity ?? Activity.Current);
        ForwardAttempt result;
        try
        {
            result = await SendThroughBreakerAsync(replica, message, timeout);
        }
        finally
        {
            // The content outlives this message when the attempt is repeated elsewhere.
            message.Content = null;
        }

        telemetry.UpstreamAttempt(route.Id, replica.Name, result.Error, timeProvider.GetElapsedTime(started).TotalSeconds);
        if (result.Error != ForwarderError.CircuitOpen && !ForwarderErrors.IsClientFault(result.Error))
        {
            clusters.Report(route.Cluster, replica, ForwarderErrors.IsReplicaFailure(result.Error) || ClusterRegistry.IsServerError(result.Response));
        }

        if (result.Error != ForwarderError.None)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ForwarderErrors.Name(result.Error));
            GatewayLog.ForwardFailed(logger, route.Id, replica.Name, ForwarderErrors.Name(result.Error), result.Exception);
        }
        else
        {
            activity?.SetTag("http.response.status_code", (int)result.Response!.StatusCode);
        }

        return result;
    }

    /// <summary>
    /// One attempt under the replica's circuit breaker. An attempt the client ended says nothing about the replica, and
    /// Polly 8 has no neutral outcome: what ShouldHandle does not call a failure, an exception included, is a success
    /// that dilutes the failure ratio and closes a half-open circuit. So on a closed circuit the attempt runs beside the
    /// breaker and only a verdict is fed to it afterwards; otherwise it runs through the breaker, which refuses it or
    /// lets it probe, and a probe the client abandoned counts as a failure (the circuit opens again and probes after
    /// another break; see <see cref="ClusterRegistry.IsBreakerFailure"/>).
    /// ServiceDefaults' CircuitBreakerHandler does the same for every HttpClient. The two stay separate on purpose: one
    /// generic helper for both measured 91 against 97 us of gateway CPU per request (paired A/B, 8 alternating rounds).
    /// </summary>
    private async ValueTask<ForwardAttempt> SendThroughBreakerAsync(Replica replica, HttpRequestMessage message, TimeoutScope timeout)
    {
        // No token for Polly: the forwarder watches the timeout itself, and Polly would report a cancelled context's
        // OperationCanceledException (a failure) in place of the attempt's own outcome.
        var resilience = ResilienceContextPool.Shared.Get();
        try
        {
            if (replica.CircuitState == CircuitState.Closed)
            {
                var attempt = await forwarder.SendAsync(message, timeout, timeout.RequestAborted);
                if (!ForwarderErrors.IsClientFault(attempt.Error) && replica.CircuitState == CircuitState.Closed)
                {
                    // A circuit that opened meanwhile refuses this verdict, as Polly ignores one arriving while open.
                    await replica.Breaker.ExecuteOutcomeAsync(static (_, verdict) => ValueTask.FromResult(Outcome.FromResult(verdict)), resilience, attempt);
                }

                return attempt;
            }

            var outcome = await replica.Breaker.ExecuteOutcomeAsync(
                static async (_, state) => Outcome.FromResult(await state.Forwarder.SendAsync(state.Message, state.Timeout, state.Timeout.RequestAborted)),
                resilience,
                (Forwarder: forwarder, Message: message, Timeout: timeout));
            return outcome.Exception switch
            {
                null => outcome.Result,
                BrokenCircuitException => new ForwardAttempt(null, ForwarderError.CircuitOpen, outcome.Exception),
                _ => new ForwardAttempt(null, ForwarderError.UpstreamRequestFailed, outcome.Exception),
            };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }
    }

    /// <summary>
    /// Relays an answer. A small body (known length up to 16 KB) is read whole before anything is sent, under the route's
    /// timeout: an upstream that stalls or breaks mid-body is then a 504 or 502, counted against the replica. A large or
    /// chunked body streams once the headers are sent, bounded only by the client staying.
    /// </summary>
    private async Task RelayAsync(HttpContext context, GatewayRoute route, Replica replica, HttpResponseMessage response, CacheLookup lookup, TimeoutScope timeout)
    {
        string? modelVersion = null;
        if (response.Headers.NonValidated.TryGetValues(_modelVersionHeader, out var versions))
        {
            modelVersion = versions.ToString();
            if (!string.Equals(route.ModelVersion, modelVersion, StringComparison.Ordinal))
            {
                route.ModelVersion = modelVersion;
            }
        }

        var small = HttpForwarder.HasSmallBody(response) && HttpForwarder.CanHaveBody(context, response);
        if (!small)
        {
            timeout.StopTimer(); // from here the token fires only when the client goes away
        }

        if (lookup.Key is { } key && IsStorable(response))
        {
            await RelayAndStoreAsync(context, route, replica, response, key, modelVersion, timeout);
            return;
        }

        var body = small ? await HttpForwarder.ReadSmallBodyAsync(response, timeout) : default;
        try
        {
            if (body.Error != ForwarderError.None)
            {
                await WriteBodyFailureAsync(context, route, replica, body.Error);
                return;
            }

            if (!HttpForwarder.TryCopyStatusAndHeaders(context, response))
            {
                await WriteUnrelayableAnswerAsync(context, route, replica);
                return;
            }

            if (lookup.Status is { } status)
            {
                AddCacheStatus(context.Response, response, status); // after the headers: it goes after any entry the upstream sent
            }

            if (small)
            {
                HttpForwarder.WriteSmallBody(context.Response, body.Bytes.Span);
                return;
            }

            var error = await HttpForwarder.CopyResponseBodyAsync(context, response, timeout.Token);
            if (error != ForwarderError.None)
            {
                GatewayLog.ForwardFailed(logger, route.Id, replica.Name, ForwarderErrors.Name(error), null);

                // The status line is gone: the only honest signal left for a truncated body is a broken connection.
                context.Abort();
            }
        }
        finally
        {
            body.Return();
        }
    }

    /// <summary>
    /// The upstream's body broke or stalled before anything was sent: 504 past the route's timeout, else 502, counted
    /// against the replica (its attempt was counted a success when the headers came); a client that left gets nothing.
    /// </summary>
    private async Task WriteBodyFailureAsync(HttpContext context, GatewayRoute route, Replica replica, ForwarderError error)
    {
        GatewayLog.ForwardFailed(logger, route.Id, replica.Name, ForwarderErrors.Name(error), null);
        if (error == ForwarderError.RequestCanceled)
        {
            context.Response.StatusCode = 499;
            return;
        }

        clusters.Report(route.Cluster, replica, failed: true);
        await (error == ForwarderError.RequestTimedOut
            ? problems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, ProblemTitles.UpstreamTimeout,
                $"'{route.Service}' did not finish its answer within {route.Timeout.TotalSeconds:0.###} s.")
            : problems.WriteAsync(context, StatusCodes.Status502BadGateway, ProblemTitles.BadGateway,
                $"'{route.Service}' failed while sending its answer ({ForwarderErrors.Name(error)})."));
    }

    /// <summary>
    /// Relays a cacheable response while capturing its body: up to <c>MaxEntryBytes</c> it is stored and sent with its
    /// length; a longer (chunked) body is sent as it comes after the part already read, and not stored. An upstream
    /// body that breaks before anything was sent gives 502.
    /// </summary>
    private async Task RelayAndStoreAsync(
        HttpContext context, GatewayRoute route, Replica replica, HttpResponseMessage response, KeyHash key, string? modelVersion, TimeoutScope timeout)
    {
        var limit = cache.Options.MaxEntryBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, (int)(response.Content.Headers.ContentLength ?? 4096) + 1));
        Stream? source = null;
        try
        {
            var length = 0;
            try
            {
                source = await response.Content.ReadAsStreamAsync(timeout.Token);
                while (length <= limit)
                {
                    if (length == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, buffer.Length * 2));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var read = await source.ReadAsync(buffer.AsMemory(length), timeout.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }
            }
            catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
            {
                await WriteBodyFailureAsync(context, route, replica, timeout.TimedOut ? ForwarderError.RequestTimedOut : ForwarderError.ResponseBodyDestination);
                return;
            }

            if (!HttpForwarder.TryCopyStatusAndHeaders(context, response))
            {
                await WriteUnrelayableAnswerAsync(context, route, replica);
                return;
            }

            if (length <= limit)
            {
                var body = buffer.AsSpan(0, length).ToArray();
                cache.Store(route, key, HeaderRules.SnapshotResponseHeaders(response), modelVersion, body);
                AddCacheStatus(context.Response, response, CacheMissStored);
                context.Response.ContentLength = length;
                await HttpForwarder.WriteBodyAsync(context.Response, body, context.RequestAborted);
                return;
            }

            AddCacheStatus(context.Response, response, CacheMiss);
            await HttpForwarder.WriteBodyAsync(context.Response, buffer.AsMemory(0, length), context.RequestAborted);
            if (await HttpForwarder.CopyBodyAsync(context.Response, source!, context.RequestAborted) != ForwarderError.None)
            {
                GatewayLog.ForwardFailed(logger, route.Id, replica.Name, ForwarderErrors.Name(ForwarderError.ResponseBodyDestination), null);
                context.Abort();
            }
        }
        finally
        {
            if (source is not null)
            {
                await source.DisposeAsync();
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A 200 small enough, not marked no-store or private, setting no cookie, varying only on keyed headers.</summary>
    private bool IsStorable(HttpResponseMessage response) =>
        response.StatusCode == System.Net.HttpStatusCode.OK
        && (response.Content.Headers.ContentLength ?? 0) <= cache.Options.MaxEntryBytes
        && response.Headers.CacheControl is not { NoStore: true } and not { Private: true }
        && !response.Headers.NonValidated.Contains(Microsoft.Net.Http.Headers.HeaderNames.SetCookie)
        && cache.CoversVary(response);

    private static void AddCacheStatus(HttpResponse response, HttpResponseMessage upstream, string entry) =>
        AddCacheStatus(response, upstream.Headers.NonValidated.TryGetValues(CacheStatusHeader, out var theirs) ? theirs.ToString() : null, entry);

    /// <summary>Sets this cache's Cache-Status entry after the upstream's own, if it sent any (RFC 9211 §2).</summary>
    private static void AddCacheStatus(HttpResponse response, string? theirs, string entry) =>
        response.Headers[CacheStatusHeader] = theirs is null ? entry : theirs + ", " + entry;

    private async ValueTask<(CacheLookup Lookup, byte[]? Body, int Length)> LookupAsync(HttpContext context, GatewayRoute route, string upstreamPath, string? caller)
    {
        var request = context.Request;
        var method = request.Method;
        if (!(HttpMethods.IsPost(method) || HttpMethods.IsGet(method)))
        {
            return (new CacheLookup(null, null, null), null, 0);
        }

        if (RequestsNoCache(request.Headers.CacheControl))
        {
            telemetry.Cache(route.Id, "bypass");
            return (new CacheLookup(null, null, CacheRequested), null, 0);
        }

        foreach (var header in cache.Options.BypassHeaders)
        {
            if (request.Headers.ContainsKey(header))
            {
                telemetry.Cache(route.Id, "bypass");
                return (new CacheLookup(null, null, CacheBypass), null, 0);
            }
        }

        var (body, length) = await PeekBodyAsync(context, cache.Options.MaxRequestBodyBytes);
        if (length < 0)
        {
            telemetry.Cache(route.Id, "bypass");
            return (new CacheLookup(null, null, CacheBypass), null, 0);
        }

        var key = cache.KeyOf(route, method, upstreamPath, caller, request.Headers, body.AsSpan(0, length));
        var hit = cache.TryGet(route, key);
        telemetry.Cache(route.Id, hit is null ? "miss" : "hit");
        return (new CacheLookup(key, hit, hit is null ? CacheMiss : null), body, length);
    }

    /// <summary>
    /// Reads the whole body into a pooled buffer when it is at most <paramref name="limit"/> bytes, with or without a
    /// Content-Length. A larger body is only examined, never consumed, so it still streams to the replica from its
    /// first byte; the answer then is length -1.
    /// </summary>
    private static async ValueTask<(byte[]? Body, int Length)> PeekBodyAsync(HttpContext context, int limit)
    {
        var request = context.Request;
        if (request.ContentLength > limit)
        {
            return (null, -1);
        }

        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true)
        {
            return (null, 0);
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return (null, -1);
            }

            if (result.IsCompleted)
            {
                var length = (int)buffer.Length;
                var body = length == 0 ? null : ArrayPool<byte>.Shared.Rent(length);
                buffer.CopyTo(body);
                reader.AdvanceTo(buffer.End);
                return (body, length);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async Task WriteCachedAsync(HttpContext context, CachedResponse hit)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        var headers = response.Headers;
        string? theirs = null;
        foreach (var (name, value) in hit.Headers)
        {
            if (name.Equals(CacheStatusHeader, StringComparison.OrdinalIgnoreCase))
            {
                theirs = value.ToString();
                continue;
            }

            headers[name] = value;
        }

        response.ContentLength = hit.Body.Length;
        AddCacheStatus(response, theirs, CacheHit);
        await HttpForwarder.WriteBodyAsync(response, hit.Body, context.RequestAborted);
    }

    private ValueTask WriteUnauthorizedAsync(HttpContext context, AuthFailure failure)
    {
        context.Response.Headers.WWWAuthenticate = AuthChallenge.For(failure);
        return problems.WriteAsync(context, StatusCodes.Status401Unauthorized, ProblemTitles.Unauthorized, AuthChallenge.Detail(failure));
    }

    private ValueTask WriteBodyTooLargeAsync(HttpContext context, GatewayRoute route) =>
        problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ProblemTitles.PayloadTooLarge,
            $"Route '{route.Id}' accepts bodies up to {route.MaxRequestBodyBytes} bytes.");

    /// <summary>
    /// When a replica may take calls again: the refusing replica's circuit, or, when none could even be tried (every
    /// circuit open), the earliest of them to close; the Retry-After of the 503 (was 1 s whatever the break lasted).
    /// </summary>
    private static long OpenUntil(Replica? refused, Replica[] replicas)
    {
        if (refused is not null)
        {
            return refused.CircuitOpenUntil;
        }

        var earliest = long.MaxValue;
        foreach (var candidate in replicas)
        {
            earliest = Math.Min(earliest, candidate.CircuitOpenUntil);
        }

        return earliest == long.MaxValue ? 0 : earliest;
    }

    /// <summary>
    /// 408 for a body that stopped arriving: slower than Kestrel's minimum data rate, or not whole within the route's
    /// timeout. The rest of the body is not read, so the connection closes after this answer (RFC 9110 §15.5.9).
    /// </summary>
    private ValueTask WriteBodyTimedOutAsync(HttpContext context, GatewayRoute route)
    {
        context.Response.Headers.Connection = "close";
        return problems.WriteAsync(context, StatusCodes.Status408RequestTimeout, ProblemTitles.RequestTimeout,
            $"The request body did not arrive in time: it came slower than the minimum data rate, or was not whole within {route.Timeout.TotalSeconds:0.###} s.");
    }

    /// <summary>
    /// An answer Kestrel cannot send on: a 1xx or out-of-range status, or a header with control or non-ASCII characters
    /// or a second Content-Length.
    /// </summary>
    private async Task WriteUnrelayableAnswerAsync(HttpContext context, GatewayRoute route, Replica replica)
    {
        GatewayLog.ForwardFailed(logger, route.Id, replica.Name, "invalid_response_header", null);
        await problems.WriteAsync(context, StatusCodes.Status502BadGateway, ProblemTitles.BadGateway,
            $"'{route.Service}' answered with a status or header that cannot be relayed (a 1xx or a status outside 100-599, a control or non-ASCII character, or a repeated Content-Length).");
    }

    private async Task WriteForwardErrorAsync(HttpContext context, GatewayRoute route, Replica? replica, Replica[] replicas, ForwardAttempt result)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        switch (result.Error)
        {
            case ForwarderError.RequestCanceled:
                // The client is gone; nobody reads a body. 499 is nginx's "client closed request".
                context.Response.StatusCode = 499;
                return;
            case ForwarderError.RequestBodyTooLarge:
                await WriteBodyTooLargeAsync(context, route);
                return;
            case ForwarderError.RequestBodyClient:
                await problems.WriteAsync(context, StatusCodes.Status400BadRequest, ProblemTitles.BadRequest, "Reading the request body failed.");
                return;
            case ForwarderError.RequestBodyTimedOut:
                await WriteBodyTimedOutAsync(context, route);
                return;
            case ForwarderError.RequestTimedOut:
                await problems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, ProblemTitles.UpstreamTimeout,
                    $"'{route.Service}' did not answer within {route.Timeout.TotalSeconds:0.###} s.");
                return;
            case ForwarderError.NoAvailableReplica:
            case ForwarderError.CircuitOpen:
                var wait = TimeSpan.FromTicks(Math.Max(0, OpenUntil(replica, replicas) - timeProvider.GetUtcNow().UtcTicks));
                await problems.WriteRetryAfterAsync(context, StatusCodes.Status503ServiceUnavailable, wait, ProblemTitles.ServiceUnavailable,
                    $"Every replica of '{route.Service}' is refusing requests (circuit open).");
                return;
            default:
                await problems.WriteAsync(context, StatusCodes.Status502BadGateway, ProblemTitles.BadGateway,
                    result.Error == ForwarderError.ConnectFailed
                        ? $"No replica of '{route.Service}' accepted a connection."
                        : $"'{route.Service}' failed before answering ({ForwarderErrors.Name(result.Error)}).");
                return;
        }
    }

    /// <summary>
    /// The rest of the path after the route prefix, escaped as the client wrote it, so that %25, %2F and the like reach
    /// the service unchanged. Kestrel hands over the path decoded (all but %2F) with dot segments removed; the raw
    /// target's rest is used when it decodes to that same rest and holds only RFC 3986 path characters, otherwise the
    /// decoded rest is escaped again. (Kestrel lets a literal '\' or '#' through, and .NET's Uri would read them as '/'
    /// and a fragment: "x\..\..\admin" must not climb out of the route's upstream prefix.)
    /// </summary>
    private static string UpstreamRemainder(HttpContext context, string remainder)
    {
        if (remainder.Length == 0)
        {
            return remainder;
        }

        var path = context.Request.Path.Value!;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is ['/', ..])
        {
            var end = raw.IndexOf('?');
            var rawPath = end < 0 ? raw.AsSpan() : raw.AsSpan(0, end);
            if (rawPath.Length == path.Length && rawPath.EndsWith(remainder, StringComparison.Ordinal) && IsPathText(remainder))
            {
                return remainder; // nothing was escaped (the common case)
            }

            var split = RawIndexAfter(rawPath, path.Length - remainder.Length);
            if (split > 0 && IsPathText(rawPath[split..]))
            {
                var rawRest = rawPath[split..].ToString();
                if (Uri.UnescapeDataString(EncodedSlash().Replace(rawRest, "%25$1")) == remainder)
                {
                    return rawRest;
                }
            }
        }

        // A literal '%' in the decoded path is escaped; "%2F" there is an escaped slash Kestrel left alone.
        var escaped = LiteralPercent().Replace(remainder, "%25");
        return escaped[0] == ':'
            ? ":" + new PathString("/" + escaped[1..]).ToUriComponent()[1..]
            : new PathString(escaped).ToUriComponent();
    }

    /// <summary>True when <paramref name="path"/> holds only RFC 3986 path characters (pchar and '/'), every '%' starting an escape.</summary>
    private static bool IsPathText(ReadOnlySpan<char> path)
    {
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '%')
            {
                if (i + 2 >= path.Length || !char.IsAsciiHexDigit(path[i + 1]) || !char.IsAsciiHexDigit(path[i + 2]))
                {
                    return false;
                }

                i += 2;
            }
            else if (!(char.IsAsciiLetterOrDigit(c) || PathPunctuation.Contains(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 3986 unreserved and sub-delims punctuation, ':' and '@' (pchar), and the segment separator.</summary>
    private static readonly System.Buffers.SearchValues<char> PathPunctuation = System.Buffers.SearchValues.Create("-._~!$&'()*+,;=:@/");

    /// <summary>The index in <paramref name="rawPath"/> after its first <paramref name="decodedLength"/> decoded characters; -1 if not found (non-ASCII escapes).</summary>
    private static int RawIndexAfter(ReadOnlySpan<char> rawPath, int decodedLength)
    {
        var index = 0;
        for (var decoded = 0; decoded < decodedLength; decoded++)
        {
            if (index >= rawPath.Length)
            {
                return -1;
            }

            if (rawPath[index] == '%')
            {
                if (index + 2 >= rawPath.Length || !byte.TryParse(rawPath.Slice(index + 1, 2), System.Globalization.NumberStyles.HexNumber, null, out var value) || value > 0x7F)
                {
                    return -1;
                }

                index += 3;
            }
            else
            {
                index++;
            }
        }

        return index;
    }

    [GeneratedRegex("%(2[fF])")]
    private static partial Regex EncodedSlash();

    [GeneratedRegex("%(?!2[fF])")]
    private static partial Regex LiteralPercent();

    private static bool RequestsNoCache(StringValues cacheControl)
    {
        if (StringValues.IsNullOrEmpty(cacheControl))
        {
            return false;
        }

        return Microsoft.Net.Http.Headers.CacheControlHeaderValue.TryParse(cacheControl.ToString(), out var parsed) && (parsed.NoCache || parsed.NoStore);
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    /// <summary>A replica answering 502/503 to an idempotent request: another replica may do better.</summary>
    private static bool IsRetryableStatus(HttpResponseMessage response) =>
        response.StatusCode is System.Net.HttpStatusCode.BadGateway or System.Net.HttpStatusCode.ServiceUnavailable;

    /// <summary>The cache's view of one request: its key (when cacheable), the hit, and the Cache-Status to send on a miss.</summary>
    private readonly record struct CacheLookup(KeyHash? Key, CachedResponse? Hit, string? Status);
}
