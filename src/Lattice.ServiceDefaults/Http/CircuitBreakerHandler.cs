using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
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
        var pipeline = breakers.For(request.RequestUri!);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        // The attempt timeout reads the request's own override (HttpRequestResilience.AttemptTimeoutKey).
        context.Properties.Set(RetryHandler.RequestKey, request);
        try
        {
            return await pipeline.ExecuteAsync(
                static async (ctx, state) => await state.Handler.SendCore(state.Request, ctx.CancellationToken),
                context,
                (Handler: this, Request: request));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendCore(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}

/// <summary>The process-wide registry of per-authority breaker pipelines, built once per authority.</summary>
internal sealed class UpstreamCircuitBreakers
{
    private readonly ResiliencePipelineRegistry<string> _registry = new();
    private readonly HttpResilienceOptions _options;
    private readonly HttpResilienceTelemetry _telemetry;
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<string, CircuitBreakerStateProvider> _states = new(StringComparer.Ordinal);
    private readonly Lock _statesLock = new();

    public UpstreamCircuitBreakers(IOptions<HttpResilienceOptions> options, HttpResilienceTelemetry telemetry, TimeProvider timeProvider)
    {
        _options = options.Value;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
    }

    /// <summary>The breaker state of an upstream, or null when it has not been called yet.</summary>
    public CircuitState? StateOf(Uri upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        lock (_statesLock)
        {
            return _states.TryGetValue(KeyOf(upstream), out var provider) ? provider.CircuitState : null;
        }
    }

    internal ResiliencePipeline<HttpResponseMessage> For(Uri upstream) =>
        _registry.GetOrAddPipeline<HttpResponseMessage>(KeyOf(upstream), (builder, context) =>
        {
            var stateProvider = new CircuitBreakerStateProvider();
            lock (_statesLock)
            {
                _states[context.PipelineKey] = stateProvider;
            }

            builder.Name = "lattice-http-upstream";
            builder.InstanceName = context.PipelineKey;
            builder
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
                {
                    Name = "circuit-breaker",
                    FailureRatio = _options.BreakerFailureRatio,
                    MinimumThroughput = _options.BreakerMinimumThroughput,
                    SamplingDuration = _options.BreakerSamplingDuration,
                    BreakDuration = _options.BreakerDuration,
                    StateProvider = stateProvider,
                    ShouldHandle = args => ValueTask.FromResult(IsUpstreamFailure(args.Outcome, stateProvider.CircuitState == CircuitState.HalfOpen)),
                    OnOpened = _ => Report(context.PipelineKey, "open"),
                    OnHalfOpened = _ => Report(context.PipelineKey, "half-open"),
                    OnClosed = _ => Report(context.PipelineKey, "closed"),
                })
                .AddTimeout(new TimeoutStrategyOptions
                {
                    Name = "attempt-timeout",
                    TimeoutGenerator = args => ValueTask.FromResult(AttemptTimeout(args.Context.Properties.GetValue(RetryHandler.RequestKey, null!))),
                });
        });

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
