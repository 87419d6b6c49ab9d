using Lattice.Contracts;
using Lattice.Hosting.Apis;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Predictions;
using Lattice.Hosting.Repository;
using Lattice.Hosting.Routing;
using Lattice.Hosting.Telemetry;
using Lattice.ServiceDefaults.Problems;
using Lattice.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Lattice.Hosting;

/// <summary><c>builder.AddModelServer(...)</c> then <c>app.MapModelServer()</c>: a model becomes a service.</summary>
public static class ModelServerExtensions
{
    /// <summary>Name of the readiness check that passes once every model has a warmed-up version.</summary>
    public const string HealthCheckName = "models";

    /// <summary>ASP.NET Core's in-flight request gauge, left out of a model service's metrics (see AddCore).</summary>
    public const string ActiveRequestsInstrument = "http.server.active_requests";

    /// <summary>
    /// Registers the model server and the models <paramref name="configure"/> declares. May be called more than
    /// once (each call adds models). Options: <c>Lattice:ModelServer</c> (repository, reload, per-model policy,
    /// batching, bulkhead), <c>Lattice:ModelServer:Limits</c> and <c>Lattice:ModelServer:Predictions</c>.
    /// </summary>
    public static TBuilder AddModelServer<TBuilder>(this TBuilder builder, Action<ModelServerBuilder> configure)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        var registrations = (ModelServerRegistrations?)services.FirstOrDefault(d => d.ServiceType == typeof(ModelServerRegistrations))?.ImplementationInstance;
        if (registrations is null)
        {
            registrations = new ModelServerRegistrations();
            services.AddSingleton(registrations);
            AddCore(services);
        }

        configure(new ModelServerBuilder(registrations));
        return builder;
    }

    private static void AddCore(IServiceCollection services)
    {
        services.AddOptions<ModelServerOptions>().BindConfiguration(ModelServerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelServerOptions>, ModelServerOptionsValidator>());
        services.AddOptions<ModelServerLimitsOptions>().BindConfiguration(ModelServerLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PredictionSinkOptions>().BindConfiguration(PredictionSinkOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        // Answers service defaults give before routing (a request head over its limits) keep the protocol's shape under /v2.
        services.AddSingleton(new PathErrorShape("/v2", static (context, status, message) => new OipErrorResult(status, message).ExecuteAsync(context)));

        services.AddMetrics();
        // lattice.hosting.inflight counts the requests a model service's callers wait on, per model and version;
        // ASP.NET Core's http.server.active_requests (all routes, no model or version) says less for two metric
        // records per request.
        services.Configure<TelemetryOptions>(options => options.ExcludedMetrics.Add(ActiveRequestsInstrument));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HostingTelemetry>();
        services.TryAddSingleton<InMemoryPredictionSink>();
        services.TryAddSingleton<IPredictionSink>(sp => sp.GetRequiredService<InMemoryPredictionSink>());
        services.TryAddSingleton<ModelServerSettings>();
        services.TryAddSingleton<ModelRootResolver>();
        services.TryAddSingleton<ModelRepository>();
        services.TryAddSingleton(_ => new TrafficRouter(Random.Shared));
        services.TryAddSingleton<ModelExecutor>();
        services.TryAddSingleton<ModelServerJson>();
        services.AddHostedService<ModelRepositoryService>();
        services.AddHealthChecks().AddCheck<ModelsReadyHealthCheck>(HealthCheckName);

        services.Configure<JsonOptions>(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ContractsJsonContext.Default));
        services.AddOpenApi();
    }

    /// <summary>Maps the Open Inference Protocol (<c>/v2/...</c>), every registered typed API and <c>/openapi/v1.json</c>.</summary>
    public static WebApplication MapModelServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenInferenceApi();
        foreach (var model in app.Services.GetRequiredService<ModelServerRegistrations>().Models)
        {
            if (model.TextClassificationRoute is { } route)
            {
                app.MapTextClassificationApi(route, model.Name);
            }
        }

        app.MapOpenApi();
        return app;
    }

    /// <summary>Healthy once every model has a loaded, warmed-up version; <c>/health/ready</c> waits for it.</summary>
    private sealed class ModelsReadyHealthCheck(ModelRepository repository) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var missing = repository.Models.Values.Where(m => m.Snapshot.IsEmpty).Select(m => m.Name).ToList();
            return Task.FromResult(missing.Count == 0
                ? HealthCheckResult.Healthy($"Serving {string.Join(", ", repository.Models.Values.Select(m => $"{m.Name} [{string.Join(", ", m.Snapshot.VersionNames)}]"))}.")
                : HealthCheckResult.Unhealthy($"No version loaded yet for {string.Join(", ", missing)} (repository {repository.Root})."));
        }
    }
}
