using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Lattice.ServiceDefaults.Http;

/// <summary>
/// The outer layer of every service-to-service call: retries with exponential backoff and jitter, within one
/// deadline for the whole call (the total timeout). A failure is retried only when repeating it is harmless: the
/// connection was never made, the circuit was open (nothing was sent), or the request is idempotent or marked safe.
/// </summary>
/// <remarks>
/// The deadline has no timer of its own: each attempt's timeout (in <see cref="CircuitBreakerHandler"/>) is cut to
/// what is left of it, and a retry whose delay would reach it is not made (the last outcome is passed on). A separate total-timeout timer due at the same moment as the last
/// attempt's would race it, and when the total won, the breaker saw a plain cancellation instead of a timeout and
/// did not count it: an upstream that never answered a caller whose attempt and total timeouts are equal (the
/// orchestrator's steps) never opened its circuit.
/// </remarks>
internal sealed class RetryHandler : DelegatingHandler
{
    internal static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("Lattice.Request");
    private static readonly ResiliencePropertyKey<TimeSpan> DelayKey = new("Lattice.RetryDelay");

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly HttpResilienceOptions _settings;
    private readonly TimeProvider _timeProvider;

    public RetryHandler(IOptions<HttpResilienceOptions> options, HttpResilienceTelemetry telemetry, TimeProvider timeProvider)
    {
        var settings = _settings = options.Value;
        _timeProvider = timeProvider;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = "lattice-http-retry", TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "retry",
                MaxRetryAttempts = Math.Max(1, settings.MaxRetryAttempts),
                ShouldHandle = args => ValueTask.FromResult(settings.MaxRetryAttempts > 0 && ShouldRetryAfterDelay(args.Outcome, args.Context, args.AttemptNumber)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.GetValue(DelayKey, TimeSpan.Zero)),
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
        var total = request.TimeoutOf(HttpRequestResilience.TotalTimeoutKey, _settings.TotalTimeout);
        request.Options.Set(HttpRequestResilience.DeadlineKey, _timeProvider.GetTimestamp() + (long)(total.TotalSeconds * _timeProvider.TimestampFrequency));
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    if (state.Handler.TimeLeft(ctx) <= TimeSpan.Zero)
                    {
                        // A delay ended at the deadline: no time is left for this attempt.
                        return Outcome.FromException<HttpResponseMessage>(new TimeoutRejectedException("The call's total timeout passed.", state.Total));
                    }

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
                (Handler: this, Request: request, Total: total));
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Whether to retry, and after which delay (kept for the delay generator): only when the delay ends before the
    /// call's deadline. A delay cut to the deadline started no attempt after it and turned the upstream's answer (or
    /// an open circuit) into a timeout of the whole call, after waiting out the rest of it.
    /// </summary>
    private bool ShouldRetryAfterDelay(Outcome<HttpResponseMessage> outcome, ResilienceContext context, int attempt)
    {
        var timeLeft = TimeLeft(context);
        var now = _timeProvider.GetUtcNow(); // a Retry-After date is read against this service's clock
        if (!ShouldRetry(outcome, context, _settings.MaxRetryAfter, timeLeft, now))
        {
            return false;
        }

        var delay = Delay(attempt, outcome.Result, _settings, now);
        context.Properties.Set(DelayKey, delay);
        return delay < timeLeft;
    }

    private TimeSpan TimeLeft(ResilienceContext context) =>
        context.Properties.GetValue(RequestKey, null!).TimeLeft(_timeProvider) ?? _settings.TotalTimeout;

    private Task<HttpResponseMessage> SendCore(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, TimeSpan maxRetryAfter, TimeSpan timeLeft, DateTimeOffset now)
    {
        if (context.CancellationToken.IsCancellationRequested || timeLeft <= TimeSpan.Zero)
        {
            return false;
        }

        // An upstream asking for a pause longer than the call has left gets its answer passed on.
        if (outcome.Result is { } answer && RetryAfterOf(answer, now) >= timeLeft)
        {
            return false;
        }

        var request = context.Properties.GetValue(RequestKey, null!);
        var safe = request is not null && request.IsSafeToRetry() && CanSendAgain(request.Content);
        return outcome.Exception switch
        {
            // Nothing reached the upstream: repeating cannot duplicate an effect.
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
            BrokenCircuitException => true,
            HttpRequestException => safe,
            TimeoutRejectedException => safe,
            null => safe && IsTransient(outcome.Result!, maxRetryAfter, now),
            _ => false,
        };
    }

    /// <summary>
    /// Whether a body that may have been sent can be sent again. Another attempt reuses the request's content, and a
    /// stream read once (a <see cref="StreamContent"/> over a forwarded body) fails the retry with "already consumed"
    /// instead of passing the upstream's answer on. Only content types that render the same bytes each time qualify;
    /// a <see cref="StreamContent"/> does not say whether its stream can seek, so it never does.
    /// </summary>
    internal static bool CanSendAgain(HttpContent? content) => content switch
    {
        null or ByteArrayContent or ReadOnlyMemoryContent or System.Net.Http.Json.JsonContent => true,
        MultipartContent parts => parts.All(CanSendAgain),
        _ => false,
    };

    private static string ReasonOf(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception?.GetType().Name ?? ((int)outcome.Result!.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsTransient(HttpResponseMessage response, TimeSpan maxRetryAfter, DateTimeOffset now)
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
        var retryAfter = RetryAfterOf(response, now);
        return retryAfter is null || retryAfter <= maxRetryAfter;
    }

    /// <summary>The upstream's Retry-After, else exponential backoff from the base delay with jitter (x0.5 to x1.5).</summary>
    private static TimeSpan Delay(int attempt, HttpResponseMessage? response, HttpResilienceOptions settings, DateTimeOffset now)
    {
        var retryAfter = response is null ? null : RetryAfterOf(response, now);
        return retryAfter is { } asked && asked <= settings.MaxRetryAfter
            ? asked
            : settings.RetryBaseDelay * (Math.Pow(2, Math.Min(attempt, 16)) * (0.5 + Random.Shared.NextDouble()));
    }

    /// <summary>The pause the upstream asked for: a number of seconds, or an HTTP date counted from <paramref name="now"/>.</summary>
    private static TimeSpan? RetryAfterOf(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var delay = date - now;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }

        return null;
    }
}
