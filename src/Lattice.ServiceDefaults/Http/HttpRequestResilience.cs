namespace Lattice.ServiceDefaults.Http;

/// <summary>Per-request resilience settings, carried in <see cref="HttpRequestMessage.Options"/>.</summary>
public static class HttpRequestResilience
{
    /// <summary>Marks a request whose repetition has no extra effect (e.g. a prediction): it may be retried on transient failure.</summary>
    public static readonly HttpRequestOptionsKey<bool> SafeToRetryKey = new("Lattice.SafeToRetry");

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
