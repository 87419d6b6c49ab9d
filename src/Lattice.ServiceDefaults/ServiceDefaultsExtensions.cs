using Lattice.ServiceDefaults.Discovery;
using Lattice.ServiceDefaults.Health;
using Lattice.ServiceDefaults.Http;
using Lattice.ServiceDefaults.Limits;
using Lattice.ServiceDefaults.Logging;
using Lattice.ServiceDefaults.Metrics;
using Lattice.ServiceDefaults.Problems;
using Lattice.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Lattice.ServiceDefaults;

/// <summary>What every Lattice process adds: <c>builder.AddServiceDefaults()</c> then <c>app.MapDefaultEndpoints()</c>.</summary>
public static class ServiceDefaultsExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Health checks, OpenTelemetry tracing and metrics, JSON console logs, ProblemDetails for every error,
    /// configuration-based service discovery and a resilient default for every IHttpClientFactory client.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddLatticeLogging();
        builder.AddLatticeTelemetry();
        builder.AddLatticeProblemDetails();

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process is up."), [HealthEndpoints.LiveTag]);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IServiceEndpointResolver, ConfigurationServiceEndpointResolver>();
        builder.AddResilientHttpClientDefaults();

        builder.AddRequestHeadLimits();

        builder.Services.AddTransient<IStartupFilter, ServiceDefaultsStartupFilter>();
        builder.Services.AddHostedService<Supervision.SupervisorWatchdog>();
        return builder;
    }

    /// <summary>
    /// Validates <see cref="RequestHeadLimitsOptions"/> and sets Kestrel's own limits to twice them, so that
    /// <see cref="RequestHeadLimitsMiddleware"/> answers a head over the limit with ProblemDetails.
    /// </summary>
    private static void AddRequestHeadLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestHeadLimitsOptions>()
            .BindConfiguration(RequestHeadLimitsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestHeadLimitsOptions>>((kestrel, limits) =>
        {
            kestrel.Limits.MaxRequestLineSize = limits.Value.MaxRequestLineBytes * 2;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.Value.MaxRequestHeadersBytes * 2;
            kestrel.Limits.MaxRequestHeaderCount = limits.Value.MaxRequestHeaderCount * 2;
        });
    }

    /// <summary>Registers the resilience options and the retry, discovery and circuit-breaker handlers on every HttpClient.</summary>
    public static IHostApplicationBuilder AddResilientHttpClientDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HttpResilienceOptions>()
            .BindConfiguration(HttpResilienceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpResilienceOptions>, HttpResilienceOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<HttpResilienceTelemetry>();
        builder.Services.TryAddSingleton<UpstreamCircuitBreakers>();
        builder.Services.TryAddTransient<RetryHandler>();
        builder.Services.TryAddTransient<ServiceDiscoveryHandler>();
        builder.Services.TryAddTransient<CircuitBreakerHandler>();
        // IHttpClientFactory's default logging handlers open a log scope and time every call even when their
        // Information-level lines are filtered out; the client spans and http.client.request.duration already
        // say what they would (profiled at about 5 % of the orchestrator's CPU under load).
        // Calls between services carry no cookies and follow no redirects: a client's primary handler is shared by
        // all of its requests, so a cookie one upstream set would ride along on other callers' requests, and a
        // followed 301/302 silently turns a POST into a GET. (Skipping both also spares every call the cookie
        // lookup and the redirect layer.) A named client can still configure its own primary handler.
        builder.Services.ConfigureHttpClientDefaults(http => http
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
            .RemoveAllLoggers()
            .AddHttpMessageHandler<RetryHandler>()
            .AddHttpMessageHandler<ServiceDiscoveryHandler>()
            .AddHttpMessageHandler<CircuitBreakerHandler>());
        return builder;
    }

    /// <summary>Maps <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> (GET and HEAD), open to every caller.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthEndpoints();
        app.MapMetricsEndpoint();
        return app;
    }

    private static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods(MetricsPath, ReadMethods.GetAndHead, async Task<Results<ContentHttpResult, ProblemHttpResult>> (HttpContext context, PrometheusScraper scraper, IOptions<TelemetryOptions> options) =>
        {
            var text = await scraper.ScrapeAsync(options.Value.ScrapeTimeout, context.RequestAborted);
            context.Response.Headers.CacheControl = "no-store";
            return text is null
                ? TypedResults.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    type: ProblemTypes.ServiceUnavailable,
                    detail: "Metric collection did not finish within the scrape timeout.")
                : TypedResults.Text(text, PrometheusScraper.ContentType);
        }).AllowAnonymous().ExcludeFromDescription().WithName("Metrics");
        return endpoints;
    }

    /// <summary>
    /// Puts the exception handler, ProblemDetails status pages, the probe trace filter and the request-head limits
    /// at the very front of the pipeline, whatever order Program.cs adds its own middleware in.
    /// </summary>
    private sealed class ServiceDefaultsStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<UntracedPathsMiddleware>();
            app.UseExceptionHandler();
            app.UseMiddleware<StatusCodeProblemsMiddleware>();
            app.UseMiddleware<RequestHeadLimitsMiddleware>();
            next(app);
        };
    }
}
