using System.ComponentModel.DataAnnotations;
using Lattice.ML.Forecasting;
using Microsoft.Extensions.Options;

namespace Lattice.Services.Forecast;

/// <summary>Request limits and defaults of the forecast service (section <c>Lattice:Forecast</c>).</summary>
/// <remarks>
/// A series must also fit in the server's <c>Lattice:ModelServer:Limits:MaxRequestBodyBytes</c> (4 MiB in this
/// service's appsettings, about 100,000 values at 40 bytes each at most); a larger body is refused with 413
/// before it is read, so a 10-million-point series costs nothing.
/// </remarks>
public sealed class ForecastServiceOptions
{
    public const string SectionName = "Lattice:Forecast";

    /// <summary>Longest series accepted; longer is 400 <c>limit-exceeded</c>. Default 100,000 (the forecaster's own limit).</summary>
    [Range(1, ForecastLimits.MaxSeriesLength)]
    public int MaxSeriesLength { get; set; } = ForecastLimits.MaxSeriesLength;

    /// <summary>
    /// Most values one request may carry in all its series together (OIP <c>[n, T]</c>: n × T); more is 400
    /// <c>limit-exceeded</c>. Default 100,000: one longest series, or 20 series of the 5,000 points a model fits on,
    /// which bounds one request's CPU (about a second per 5,000-point <c>ets</c> fit). At least <see cref="MaxSeriesLength"/>.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxValuesPerRequest { get; set; } = ForecastLimits.MaxSeriesLength;

    /// <summary>Longest horizon accepted; longer is 400 <c>limit-exceeded</c>. Default 1,000.</summary>
    [Range(1, ForecastLimits.MaxHorizon)]
    public int MaxHorizon { get; set; } = 1000;

    /// <summary>Interval levels (percent, each in (0, 100), at most 10) when a request gives none. Unset: 80 and 95.</summary>
    public IReadOnlyList<double>? DefaultLevels { get; set; }

    /// <summary>The default levels in effect.</summary>
    public IReadOnlyList<double> EffectiveLevels => DefaultLevels ?? [80, 95];
}

/// <summary>Checks the default levels, which data annotations cannot reach.</summary>
internal sealed class ForecastServiceOptionsValidator : IValidateOptions<ForecastServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, ForecastServiceOptions options)
    {
        if (options.MaxValuesPerRequest < options.MaxSeriesLength)
        {
            return ValidateOptionsResult.Fail(
                $"{ForecastServiceOptions.SectionName}:MaxValuesPerRequest ({options.MaxValuesPerRequest}) must be at least MaxSeriesLength ({options.MaxSeriesLength}): a series of accepted length must fit in a request.");
        }

        var levels = options.EffectiveLevels;
        return levels.Count <= ForecastLimits.MaxLevels && levels.All(ForecastLimits.IsLevel)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{ForecastServiceOptions.SectionName}:DefaultLevels must hold at most {ForecastLimits.MaxLevels} levels, each strictly between 0 and 100 (99.99999999999999 rounds to 100) (was [{string.Join(", ", levels)}]).");
    }
}
