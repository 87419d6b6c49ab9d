using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Lattice.ServiceDefaults.Http;

/// <summary>
/// The outer layer of every service-to-service call: a total timeout around retries with exponential
/// backoff and jitter. A failure is retried only when repeating it is harmless: the connection was never
/// made, the circuit was open (nothing was sent), or the request is idempotent or marked safe.
/// </summary>
internal sealed class RetryHandler : DelegatingHandler
{
    internal static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("Lattice.Request");

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public RetryHandler(IOptions<HttpResilienceOptions> options, HttpResilienceTelemetry telemetry)
    {
        var settings = options.Value;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = "lattice-http-retry" }
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "total-timeout",
                TimeoutGenerator = args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(RequestKey, null!).TimeoutOf(HttpRequestResilience.TotalTimeoutKey, settings.TotalTimeout)),
            })
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "retry",
                MaxRetryAttempts = Math.Max(1, settings.MaxRetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    settings.MaxRetryAttempts > 0 && ShouldRetry(args.Outcome, args.Context, settings.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, settings.MaxRetryAfter)),
                OnRetry = args =>
                {
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    telemetry.Retried(request?.RequestUri?.Authority, args.AttemptNumber + 1, ReasonOf(args.Outcome), args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        var response = await state.Handler.SendCore(state.Request, ctx.CancellationToken);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception exception)
                    {
                        return Outcome.FromException<HttpResponseMessage>(exception);
                    }
                },
                context,
                (Handler: this, Request: request));
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendCore(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, TimeSpan maxRetryAfter)
    {
        if (context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var request = context.Properties.GetValue(RequestKey, null!);
        var safe = request is not null && request.IsSafeToRetry();
        return outcome.Exception switch
        {
            // Nothing reached the upstream: repeating cannot duplicate an effect.
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
            BrokenCircuitException => true,
            HttpRequestException => safe,
            TimeoutRejectedException => safe,
            null => safe && IsTransient(outcome.Result!, maxRetryAfter),
            _ => false,
        };
    }

    private static string ReasonOf(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception?.GetType().Name ?? ((int)outcome.Result!.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsTransient(HttpResponseMessage response, TimeSpan maxRetryAfter)
    {
        var status = response.StatusCode;
        var transient = status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
        if (!transient)
        {
            return false;
        }

        // An upstream asking for a long pause gets its answer passed on rather than a retry storm.
        var retryAfter = RetryAfterOf(response);
        return retryAfter is null || retryAfter <= maxRetryAfter;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan maxRetryAfter)
    {
        var retryAfter = response is null ? null : RetryAfterOf(response);
        return retryAfter is { } delay && delay <= maxRetryAfter ? delay : null;
    }

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var delay = date - DateTimeOffset.UtcNow;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }

        return null;
    }
}
