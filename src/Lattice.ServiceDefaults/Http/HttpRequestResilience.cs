namespace Lattice.ServiceDefaults.Http;

/// <summary>Per-request resilience settings, carried in <see cref="HttpRequestMessage.Options"/>.</summary>
public static class HttpRequestResilience
{
    /// <summary>Marks a request whose repetition has no extra effect (e.g. a prediction): it may be retried on transient failure.</summary>
    public static readonly HttpRequestOptionsKey<bool> SafeToRetryKey = new("Lattice.SafeToRetry");

    /// <summary>Overrides <see cref="HttpResilienceOptions.AttemptTimeout"/> for one request (e.g. a caller with its own, longer budget).</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> AttemptTimeoutKey = new("Lattice.AttemptTimeout");

    /// <summary>Overrides <see cref="HttpResilienceOptions.TotalTimeout"/> for one request, across every retry and delay.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> TotalTimeoutKey = new("Lattice.TotalTimeout");

    /// <summary>
    /// Bounds this request by the caller's own budget instead of the client's defaults: each attempt by
    /// <paramref name="attemptTimeout"/>, the whole call (retries included) by <paramref name="totalTimeout"/>.
    /// </summary>
    public static HttpRequestMessage WithTimeouts(this HttpRequestMessage request, TimeSpan attemptTimeout, TimeSpan totalTimeout)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(attemptTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(totalTimeout, TimeSpan.Zero);
        request.Options.Set(AttemptTimeoutKey, attemptTimeout);
        request.Options.Set(TotalTimeoutKey, totalTimeout);
        return request;
    }

    /// <summary>
    /// When the whole call must end (a <see cref="TimeProvider"/> timestamp), set by the retry layer as the call
    /// starts: every attempt's timeout is cut to what is left of it.
    /// </summary>
    internal static readonly HttpRequestOptionsKey<long> DeadlineKey = new("Lattice.Deadline");

    /// <summary>What is left until the call's deadline (negative once it passed), or null outside a call.</summary>
    internal static TimeSpan? TimeLeft(this HttpRequestMessage? request, TimeProvider timeProvider) =>
        request is not null && request.Options.TryGetValue(DeadlineKey, out var deadline)
            ? timeProvider.GetElapsedTime(timeProvider.GetTimestamp(), deadline)
            : null;

    /// <summary>The request's own timeout under <paramref name="key"/>, or <paramref name="fallback"/> when it has none.</summary>
    internal static TimeSpan TimeoutOf(this HttpRequestMessage? request, HttpRequestOptionsKey<TimeSpan> key, TimeSpan fallback) =>
        request is not null && request.Options.TryGetValue(key, out var timeout) && timeout > TimeSpan.Zero ? timeout : fallback;

    /// <summary>Marks the request safe to retry even though its method is not idempotent.</summary>
    public static HttpRequestMessage MarkSafeToRetry(this HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Options.Set(SafeToRetryKey, true);
        return request;
    }

    /// <summary>True for idempotent methods and for requests explicitly marked safe.</summary>
    public static bool IsSafeToRetry(this HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options.TryGetValue(SafeToRetryKey, out var marked))
        {
            return marked;
        }

        var method = request.Method;
        return method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options
            || method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Trace;
    }
}
