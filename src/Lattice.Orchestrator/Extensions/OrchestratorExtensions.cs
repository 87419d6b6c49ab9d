using Lattice.Orchestrator.Execution;
using Lattice.Orchestrator.Pipelines;
using Microsoft.Extensions.Options;

namespace Lattice.Orchestrator.Extensions;

/// <summary>Registers the pipeline catalog (validated at start), the executor and its telemetry.</summary>
public static partial class OrchestratorExtensions
{
    public static IHostApplicationBuilder AddOrchestrator(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OrchestratorOptions>()
            .BindConfiguration(OrchestratorOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<PipelineCatalog>();
        builder.Services.AddSingleton<OrchestratorTelemetry>();
        builder.Services.AddSingleton<PipelineExecutor>();
        // Every step call is bounded by its step's timeout: HttpClient's own 100 s timeout would otherwise end a
        // longer step (a pipeline may have a deadline of minutes) with a cancellation nobody expects, a 500.
        builder.Services.AddHttpClient(PipelineExecutor.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddHostedService<PipelineCatalogStartup>();
        builder.Services.AddHealthChecks().AddCheck<PipelinesLoadedCheck>("pipelines");
        builder.Services.AddOpenApi();
        return builder;
    }

    /// <summary>
    /// Loads the pipelines before the host starts. False when a file is invalid (each problem has been logged, Critical,
    /// as file:line:column), when the pipelines folder does not exist or when the <c>Orchestrator</c> settings are out
    /// of range (both logged here, Critical), so Program exits with 1 instead of letting the exception out of Run, where
    /// the host logs it with a stack trace and the runtime aborts with another.
    /// </summary>
    public static bool TryLoadPipelines(this IHost app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            _ = app.Services.GetRequiredService<PipelineCatalog>();
            return true;
        }
        catch (PipelineValidationException)
        {
            return false;
        }
        catch (Exception exception) when (exception is DirectoryNotFoundException or OptionsValidationException)
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PipelineCatalog));
            var problems = exception is OptionsValidationException invalid ? invalid.Failures : [exception.Message];
            foreach (var problem in problems)
            {
                LogCannotStart(logger, problem);
            }

            return false;
        }
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "The orchestrator does not start: {Problem}")]
    private static partial void LogCannotStart(ILogger logger, string problem);

    /// <summary>Loads the catalog while the host starts (if TryLoadPipelines has not), so an invalid pipeline file stops the host before it listens.</summary>
    private sealed class PipelineCatalogStartup(PipelineCatalog catalog) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(catalog);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class PipelinesLoadedCheck(PipelineCatalog catalog) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
    {
        public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"{catalog.All.Count()} pipelines loaded"));
    }
}
