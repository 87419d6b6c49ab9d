using Lattice.Contracts;
using Lattice.Hosting;
using Lattice.Services.Forecast.Serving;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Lattice.Services.Forecast.Extensions;

/// <summary>
/// Registers the forecaster: <c>models/forecast/&lt;version&gt;/forecaster.json</c>. Forecasting fits per request and
/// ships no data, so a version is a forecaster configuration (its default method); the repository still gives it
/// versions, hot reload, the traffic policy and readiness like any model.
/// </summary>
public static class ForecastServiceExtensions
{
    /// <summary>The model name: its folder in the repository, its OIP name and its metric tag.</summary>
    public const string ModelName = "forecast";

    /// <summary>Forecasts computed at once; unset, one per processor (see <see cref="AddForecaster"/>).</summary>
    public const string MaxConcurrencyKey = $"{ModelServerOptions.SectionName}:Models:{ModelName}:Bulkhead:MaxConcurrency";

    public static IHostApplicationBuilder AddForecaster(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ForecastServiceOptions>()
            .BindConfiguration(ForecastServiceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ForecastServiceOptions>, ForecastServiceOptionsValidator>();
        builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, TabularContractsJsonContext.Default));

        // A forecast is fitted inline on a thread-pool thread and may take a second or more. With the model server's
        // default of 64 at once, 32 concurrent forecasts on two cores held every pool thread and /health/live took
        // 16 s to answer; one forecast per core keeps the rest of the queue waiting asynchronously instead.
        var configured = builder.Configuration.GetSection(MaxConcurrencyKey);
        builder.Services.PostConfigure<ModelServerOptions>(options =>
        {
            if (configured.Value is null)
            {
                if (!options.Models.TryGetValue(ModelName, out var model) || model is null)
                {
                    options.Models[ModelName] = model = new ModelOptions();
                }

                model.Bulkhead.MaxConcurrency = Environment.ProcessorCount;
            }
        });
        return builder.AddModelServer(server => server.AddModel(ModelName, new ForecasterLoader()));
    }
}
