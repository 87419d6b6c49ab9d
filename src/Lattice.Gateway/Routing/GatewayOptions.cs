using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.Routing;

/// <summary>
/// Routes and request limits (section <c>Lattice:Gateway</c>). Routes are keyed by id, so a single
/// route can be changed from the environment (<c>Lattice__Gateway__Routes__sentiment__Timeout=00:00:05</c>).
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Lattice:Gateway";

    /// <summary>The routing table: route id → route. An unknown path answers 404.</summary>
    public IDictionary<string, RouteOptions> Routes { get; } = new Dictionary<string, RouteOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Requests handled at once across all routes; above it the gateway answers 429 with Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentRequests { get; set; } = 4096;

    /// <summary>Request body limit for routes that do not set their own; above it 413.</summary>
    [Range(0, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Time until the upstream's response headers arrive, for routes that do not set their own; past it 504.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra attempts on other replicas, only when nothing reached the upstream or the request is idempotent.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Time to open a TCP connection to a replica; a failure is a 502 (or a retry on another replica).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs socket completions and Kestrel's pipe callbacks on the I/O thread instead of hopping to the thread pool
    /// (Kestrel's <c>UnsafePreferInlineScheduling</c> and <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>). A proxy does
    /// little work per request and never blocks, so the hop costs more than the work; on few cores it is the difference
    /// between nginx's throughput and half of it. Off by default only because a blocking call would stall the I/O thread.
    /// </summary>
    public bool InlineIoCompletions { get; set; }

    /// <summary>Idle pooled upstream connections are closed after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>One route: a public path prefix forwarded to a service's replicas.</summary>
public sealed class RouteOptions
{
    /// <summary>Public path prefix matched on whole segments, case-insensitively, e.g. <c>/api/sentiment</c>.</summary>
    [Required]
    [RegularExpression("^/[A-Za-z0-9._~/-]*$")]
    public string PathPrefix { get; set; } = string.Empty;

    /// <summary>Logical service name, resolved to replicas by <c>IServiceEndpointResolver</c> (<c>Services:&lt;name&gt;:Urls</c>).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]+$")]
    public string Service { get; set; } = string.Empty;

    /// <summary>Replaces <see cref="PathPrefix"/> on the way upstream; defaults to the public prefix (path passed through).</summary>
    [RegularExpression("^/[A-Za-z0-9._~/-]*$")]
    public string? UpstreamPathPrefix { get; set; }

    /// <summary>Scope a caller needs; defaults to <c>predict:&lt;Service&gt;</c>. <c>anonymous</c> opens the route to everyone.</summary>
    public string? Scope { get; set; }

    /// <summary>Overrides <see cref="GatewayOptions.Timeout"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Overrides <see cref="GatewayOptions.MaxRequestBodyBytes"/>.</summary>
    [Range(0, long.MaxValue)]
    public long? MaxRequestBodyBytes { get; set; }

    /// <summary>Answer repeat requests (same route, path, body and model version) from the response cache.</summary>
    public bool Cache { get; set; }

    /// <summary>How long a cached response stays fresh; defaults to <c>Lattice:Gateway:Cache:Ttl</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan? CacheTtl { get; set; }
}

/// <summary>Rules the attributes cannot express: every route valid, no two routes on the same prefix.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        var prefixes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, route) in options.Routes)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(route, new ValidationContext(route), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => $"{GatewayOptions.SectionName}:Routes:{id}: {r.ErrorMessage}"));
                continue;
            }

            var prefix = route.PathPrefix.TrimEnd('/');
            if (prefix.Length == 0)
            {
                failures.Add($"{GatewayOptions.SectionName}:Routes:{id}:PathPrefix must not be '/'.");
            }
            else if (!prefixes.TryAdd(prefix, id))
            {
                failures.Add($"{GatewayOptions.SectionName}:Routes:{id} and {prefixes[prefix]} share the prefix {prefix}.");
            }

            if (route.Scope is { } scope && !Auth.Scopes.IsValid(scope) && scope != Auth.Scopes.Anonymous)
            {
                failures.Add($"{GatewayOptions.SectionName}:Routes:{id}:Scope '{scope}' is not a known scope.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
