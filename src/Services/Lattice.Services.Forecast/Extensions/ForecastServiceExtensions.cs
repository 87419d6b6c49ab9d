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

    public static IHostApplicationBuilder AddForecaster(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ForecastServiceOptions>()
            .BindConfiguration(ForecastServiceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ForecastServiceOptions>, ForecastServiceOptionsValidator>();
        builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, TabularContractsJsonContext.Default));
        return builder.AddModelServer(server => server.AddModel(ModelName, new ForecasterLoader()));
    }
}
