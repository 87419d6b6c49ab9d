using Lattice.Gateway.Apis;
using Lattice.Gateway.Auth;
using Lattice.Gateway.Caching;
using Lattice.Gateway.Forwarding;
using Lattice.Gateway.LoadBalancing;
using Lattice.Gateway.Proxy;
using Lattice.Gateway.RateLimiting;
using Lattice.Gateway.Routing;
using Lattice.Gateway.Telemetry;
using Lattice.ServiceDefaults.Limits;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Lattice.Gateway.Extensions;

/// <summary>Registers and maps the gateway: <c>builder.AddGateway()</c>, then <c>app.MapGateway()</c>.</summary>
public static class GatewayExtensions
{
    /// <summary>Options, key store, balancer, health checker, forwarder, rate limiter, cache and Kestrel limits.</summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        AddValidatedOptions<GatewayOptions>(services, GatewayOptions.SectionName);
        AddValidatedOptions<LoadBalancingOptions>(services, LoadBalancingOptions.SectionName);
        AddValidatedOptions<AuthOptions>(services, AuthOptions.SectionName);
        AddValidatedOptions<RateLimitOptions>(services, RateLimitOptions.SectionName);
        AddValidatedOptions<ResponseCacheOptions>(services, ResponseCacheOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Random.Shared);
        services.TryAddSingleton<GatewayTelemetry>();
        services.TryAddSingleton<ClusterRegistry>();
        services.TryAddSingleton<RouteTable>();
        services.TryAddSingleton<ReplicaSelector>();
        services.TryAddSingleton<HttpForwarder>();
        services.TryAddSingleton<IApiKeyStore, SqliteApiKeyStore>();
        services.TryAddSingleton<JwtValidator>();
        services.TryAddSingleton<GatewayAuthenticator>();
        services.TryAddSingleton<ApiKeyService>();
        services.TryAddSingleton<GatewayRateLimiter>();
        services.TryAddSingleton<ResponseCache>();
        services.TryAddSingleton<GatewayProblems>();
        services.AddHostedService<KeyStoreInitializer>();
        services.AddHostedService<ActiveHealthChecker>();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
            json.SerializerOptions.AllowDuplicateProperties = false; // {"name": "a", "name": "b"} is ambiguous: refused, not last-wins
        });

        if (builder.Configuration.GetValue<bool>($"{GatewayOptions.SectionName}:{nameof(GatewayOptions.InlineIoCompletions)}"))
        {
            // Read by the socket engine when it first starts, which is after this runs.
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
            services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(
                sockets => sockets.UnsafePreferInlineScheduling = true);
        }

        // Header size and count limits (431 ProblemDetails) are ServiceDefaults' Lattice:RequestLimits, as in every process.
        services.Configure<KestrelServerOptions>(kestrel => kestrel.AddServerHeader = false);
        LeaveRoomForForwardedHeaders(builder);
        return builder;
    }

    /// <summary>
    /// Puts the proxy in front of endpoint routing (routed paths never pay for the endpoint matcher), then maps
    /// <c>/gateway/keys</c> and <c>/gateway/upstreams</c>. Call after <c>MapDefaultEndpoints</c>.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<ProxyMiddleware>();
        app.UseRouting();
        app.UseMiddleware<AdminScopeMiddleware>();
        app.UseMiddleware<AdminBodyMiddleware>(); // after the scope check: nothing of the body is judged for a caller who may not call
        app.MapKeysApi();
        app.MapUpstreamsApi();
        return app;
    }

    /// <summary>
    /// What the gateway accepts must pass a service behind it with the same limits, yet it adds up to four header lines
    /// (X-Forwarded-For, -Proto, -Host and traceparent, tracestate taking the client's place) and a few hundred bytes.
    /// So, unless configured, the gateway's own header limits are the defaults less that: 96 lines and 30 KiB. (An
    /// unusually long Host is sent twice, as Host and X-Forwarded-Host, and can still take the forwarded head past a
    /// service's limit: the service's 431 is relayed.)
    /// </summary>
    private static void LeaveRoomForForwardedHeaders(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(RequestHeadLimitsOptions.SectionName);
        var defaults = new RequestHeadLimitsOptions();
        builder.Services.Configure<RequestHeadLimitsOptions>(limits =>
        {
            if (section[nameof(RequestHeadLimitsOptions.MaxRequestHeaderCount)] is null)
            {
                limits.MaxRequestHeaderCount = defaults.MaxRequestHeaderCount - ForwardedHeaderLines;
            }

            if (section[nameof(RequestHeadLimitsOptions.MaxRequestHeadersBytes)] is null)
            {
                limits.MaxRequestHeadersBytes = defaults.MaxRequestHeadersBytes - ForwardedHeaderBytes;
            }
        });
    }

    private const int ForwardedHeaderLines = 4;
    private const int ForwardedHeaderBytes = 2 * 1024;

    private static void AddValidatedOptions<T>(IServiceCollection services, string section)
        where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>Prepares the key store before the server takes its first request.</summary>
    private sealed class KeyStoreInitializer(ApiKeyService keys, IApiKeyStore store, RouteTable routes, ILogger<KeyStoreInitializer> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await keys.InitializeAsync(Console.Out, cancellationToken);
            var location = store is SqliteApiKeyStore sqlite ? sqlite.FilePath : store.GetType().Name;
            GatewayLog.Started(logger, routes.Routes.Count, routes.Routes.Select(r => r.Service).Distinct(StringComparer.OrdinalIgnoreCase).Count(), location);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
