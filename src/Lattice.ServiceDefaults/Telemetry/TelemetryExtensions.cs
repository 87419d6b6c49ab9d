using System.Diagnostics.Metrics;
using Lattice.ServiceDefaults.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Lattice.ServiceDefaults.Telemetry;

/// <summary>
/// Wires the OpenTelemetry SDK without the hosting packages (they do not restore here): one
/// TracerProvider over ASP.NET Core's, HttpClient's and Lattice's ActivitySources, one MeterProvider
/// over every meter in the process feeding /metrics, and OTLP export only when an endpoint is configured.
/// </summary>
internal static class TelemetryExtensions
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IHostApplicationBuilder AddLatticeTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>()
            .BindConfiguration(TelemetryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<PrometheusScraper>();
        builder.Services.AddSingleton(sp => BuildTracerProvider(sp, builder.Environment.ApplicationName));
        builder.Services.AddSingleton(sp => BuildMeterProvider(sp, builder.Environment.ApplicationName));
        builder.Services.AddHostedService<TelemetryStarter>();
        return builder;
    }

    internal static bool OtlpConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);

    private static ResourceBuilder Resource(IServiceProvider services, string applicationName)
    {
        var options = services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        var configuration = services.GetRequiredService<IConfiguration>();
        var name = options.ServiceName ?? configuration["OTEL_SERVICE_NAME"] ?? applicationName;
        return ResourceBuilder.CreateDefault().AddService(name);
    }

    private static TracerProvider BuildTracerProvider(IServiceProvider services, string applicationName)
    {
        var options = services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        var export = OtlpConfigured(services.GetRequiredService<IConfiguration>());
        // Without an exporter, recording spans only costs time: roots are not sampled, and their propagation-only
        // activities still carry trace ids to the logs and traceparent to the next hop. A caller's sampled flag is
        // honoured (the span is recorded, then dropped here) so that it reaches the next hop, whose exporter may want it.
        Sampler sampler = new ParentBasedSampler(export ? new TraceIdRatioBasedSampler(options.SamplingRatio) : new AlwaysOffSampler());
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(Resource(services, applicationName))
            .SetSampler(sampler)
            .AddSource(LatticeTelemetry.AspNetCoreSource, LatticeTelemetry.HttpClientSource, LatticeTelemetry.Prefix + "*");
        if (export)
        {
            tracing.AddOtlpExporter();
        }

        return tracing.Build();
    }

    private static MeterProvider BuildMeterProvider(IServiceProvider services, string applicationName)
    {
        var options = services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        var excluded = options.PublishAllMeters ? [] : options.ExcludedMetrics.ToHashSet(StringComparer.Ordinal);
        var meterFactory = services.GetService<IMeterFactory>();
        var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(Resource(services, applicationName))
            .AddMeter("*")
            .AddView(instrument => excluded.Contains(instrument.Meter.Name) || excluded.Contains(instrument.Name) || OfAnotherHost(instrument, meterFactory)
                ? MetricStreamConfiguration.Drop
                : SecondsHistogramView(instrument))
            .AddReader(services.GetRequiredService<PrometheusScraper>().Reader);
        if (OtlpConfigured(services.GetRequiredService<IConfiguration>()))
        {
            metrics.AddOtlpExporter();
        }

        return metrics.Build();
    }

    /// <summary>
    /// Bucket bounds for every histogram measured in seconds. Lattice services answer in well under a
    /// millisecond, so the default bounds (ASP.NET Core's start at 5 ms; the SDK's assume milliseconds)
    /// would put every request in the first bucket.
    /// </summary>
    internal static readonly double[] SecondsBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>
    /// True for an instrument of a meter that another host's <see cref="IMeterFactory"/> created. The SDK listens
    /// process-wide, so two hosts in one process (in-process tests, or an app hosting two) would otherwise publish
    /// each other's instruments, and instruments of the same name share one metric stream, which the SDK drops when
    /// either instrument's host stops. Static meters (runtime, no factory) stay.
    /// </summary>
    private static bool OfAnotherHost(System.Diagnostics.Metrics.Instrument instrument, IMeterFactory? ours) =>
        ours is not null && instrument.Meter.Scope is IMeterFactory scope && !ReferenceEquals(scope, ours);

    private static MetricStreamConfiguration? SecondsHistogramView(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument.Unit == "s" && instrument.GetType().IsGenericType
            && instrument.GetType().GetGenericTypeDefinition() == typeof(System.Diagnostics.Metrics.Histogram<>)
            ? new ExplicitBucketHistogramConfiguration { Boundaries = SecondsBuckets }
            : null;

    /// <summary>Creates both providers when the host starts, so the first request is already traced and metered.</summary>
    private sealed class TelemetryStarter(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(tracerProvider);
            GC.KeepAlive(meterProvider);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
