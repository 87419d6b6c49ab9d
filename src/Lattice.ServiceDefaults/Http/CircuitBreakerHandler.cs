using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Lattice.ServiceDefaults.Http;

/// <summary>
/// The inner layer, once the address is resolved: one circuit breaker per upstream authority
/// (host:port), shared by every client in the process, around a per-attempt timeout. Keying by
/// authority means one dead replica is cut off without failing calls to its healthy siblings.
/// </summary>
internal sealed class CircuitBreakerHandler(UpstreamCircuitBreakers breakers) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var upstream = breakers.For(request.RequestUri!);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        // The attempt timeout reads the request's own override (HttpRequestResilience.AttemptTimeoutKey).
        context.Properties.Set(RetryHandler.RequestKey, request);
        try
        {
            if (upstream.State.CircuitState != CircuitState.Closed)
            {
                // Open: refused. Half-open: this attempt may be the probe (see UpstreamCircuitBreakers.IsUpstreamFailure).
                return await upstream.Breaker.ExecuteAsync(
                    static async (ctx, state) => await state.Breakers.AttemptAsync(state.Handler, state.Request, ctx),
                    context,
                    (Handler: this, Request: request, Breakers: breakers));
            }

            // Closed: the attempt runs beside the breaker and only a verdict is fed to it. Polly 8 has no neutral
            // outcome: an attempt the caller cancelled (it stopped waiting) would count as a success and dilute the
            // failure ratio, although it says nothing about the upstream.
            var outcome = await breakers.AttemptOutcomeAsync(this, request, context);
            if (!IsCancelledByCaller(outcome) && upstream.State.CircuitState == CircuitState.Closed)
            {
                // A circuit that opened meanwhile refuses the verdict, as Polly ignores one arriving while open. No token:
                // the verdict is recorded even when the caller has gone since.
                var verdict = ResilienceContextPool.Shared.Get(CancellationToken.None);
                try
                {
                    await upstream.Breaker.ExecuteOutcomeAsync(static (_, attempt) => ValueTask.FromResult(attempt), verdict, outcome);
                }
                finally
                {
                    ResilienceContextPool.Shared.Return(verdict);
                }
            }

            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The caller's token ended the attempt (its own timeout is a <see cref="TimeoutRejectedException"/>).</summary>
    private static bool IsCancelledByCaller(Outcome<HttpResponseMessage> outcome) => outcome.Exception is OperationCanceledException;

    internal Task<HttpResponseMessage> SendCore(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}

/// <summary>
/// The process-wide per-authority breakers, built once per authority, and the attempt timeout. The timeout is a pipeline
/// of its own so that an attempt on a closed circuit can run beside the breaker (see <see cref="CircuitBreakerHandler"/>).
/// </summary>
internal sealed class UpstreamCircuitBreakers
{
    private readonly HttpResilienceOptions _options;
    private readonly HttpResilienceTelemetry _telemetry;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, Upstream> _upstreams = new(StringComparer.Ordinal);
    private readonly ResiliencePipeline<HttpResponseMessage> _attemptTimeout;

    public UpstreamCircuitBreakers(IOptions<HttpResilienceOptions> options, HttpResilienceTelemetry telemetry, TimeProvider timeProvider)
    {
        _options = options.Value;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
        _attemptTimeout = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = "lattice-http-attempt", TimeProvider = timeProvider }
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "attempt-timeout",
                TimeoutGenerator = args => ValueTask.FromResult(AttemptTimeout(args.Context.Properties.GetValue(RetryHandler.RequestKey, null!))),
            })
            .Build();
    }

    /// <summary>The breaker state of an upstream, or null when it has not been called yet.</summary>
    public CircuitState? StateOf(Uri upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return _upstreams.TryGetValue(KeyOf(upstream), out var known) ? known.State.CircuitState : null;
    }

    /// <summary>One upstream's breaker (without the attempt timeout, see <see cref="AttemptAsync"/>) and its state.</summary>
    internal sealed record Upstream(ResiliencePipeline<HttpResponseMessage> Breaker, CircuitBreakerStateProvider State);

    internal Upstream For(Uri upstream) => _upstreams.GetOrAdd(KeyOf(upstream), static (key, self) => self.Create(key), this);

    private Upstream Create(string key)
    {
        var stateProvider = new CircuitBreakerStateProvider();
        var breaker = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = "lattice-http-upstream", InstanceName = key, TimeProvider = _timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                Name = "circuit-breaker",
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = _options.BreakerMinimumThroughput,
                SamplingDuration = _options.BreakerSamplingDuration,
                BreakDuration = _options.BreakerDuration,
                StateProvider = stateProvider,
                ShouldHandle = args => ValueTask.FromResult(IsUpstreamFailure(args.Outcome, stateProvider.CircuitState == CircuitState.HalfOpen)),
                OnOpened = _ => Report(key, "open"),
                OnHalfOpened = _ => Report(key, "half-open"),
                OnClosed = _ => Report(key, "closed"),
            })
            .Build();
        return new Upstream(breaker, stateProvider);
    }

    /// <summary>One attempt under its attempt timeout (a <see cref="TimeoutRejectedException"/> when that ends it).</summary>
    internal ValueTask<HttpResponseMessage> AttemptAsync(CircuitBreakerHandler handler, HttpRequestMessage request, ResilienceContext context) =>
        _attemptTimeout.ExecuteAsync(
            static async (ctx, state) => await state.Handler.SendCore(state.Request, ctx.CancellationToken),
            context,
            (Handler: handler, Request: request));

    /// <summary><see cref="AttemptAsync"/> as an outcome, its exception included.</summary>
    internal async ValueTask<Outcome<HttpResponseMessage>> AttemptOutcomeAsync(CircuitBreakerHandler handler, HttpRequestMessage request, ResilienceContext context)
    {
        try
        {
            return Outcome.FromResult(await AttemptAsync(handler, request, context));
        }
        catch (Exception exception)
        {
            return Outcome.FromException<HttpResponseMessage>(exception);
        }
    }

    /// <summary>
    /// The request's attempt timeout (its own, else the options'), cut to what is left of the call's deadline: the
    /// last attempt then ends as a timeout at the deadline, which the breaker counts (at least 1 ms: Polly applies
    /// no timeout at all to zero).
    /// </summary>
    private TimeSpan AttemptTimeout(HttpRequestMessage? request)
    {
        var timeout = request.TimeoutOf(HttpRequestResilience.AttemptTimeoutKey, _options.AttemptTimeout);
        if (request.TimeLeft(_timeProvider) is { } left && left < timeout)
        {
            timeout = left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
        }

        return timeout;
    }

    private ValueTask Report(string upstream, string state)
    {
        _telemetry.CircuitChanged(upstream, state);
        return ValueTask.CompletedTask;
    }

    private static string KeyOf(Uri upstream) => upstream.Scheme + "://" + upstream.Authority;

    // 4xx are the caller's fault and 429 is the upstream pacing us: neither says the upstream is unhealthy.
    // 502 and 504 say a hop behind the upstream failed, 501 is a missing feature: not counted either.
    // A half-open probe the caller cancelled (the attempt's own timeout is a TimeoutRejectedException) counts as a
    // failure: it proved nothing, and Polly 8 closes a half-open circuit on any outcome not called a failure, which
    // sent every caller back to a hung upstream. The circuit opens again and probes after another break.
    private static bool IsUpstreamFailure(Outcome<HttpResponseMessage> outcome, bool halfOpen) => outcome.Exception switch
    {
        HttpRequestException or TimeoutRejectedException => true,
        OperationCanceledException => halfOpen,
        null => outcome.Result!.StatusCode >= HttpStatusCode.InternalServerError
            && outcome.Result.StatusCode is not (HttpStatusCode.NotImplemented or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout),
        _ => false,
    };
}
