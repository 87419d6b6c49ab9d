namespace Lattice.ML.Forecasting;

/// <summary>Forecasting methods a caller can ask for; <see cref="Auto"/> picks per series on its own recent history.</summary>
public enum ForecastMethod
{
    Auto,
    Naive,
    SeasonalNaive,
    Naive2,
    Ses,
    Holt,
    Damped,
    Theta,

    /// <summary>Mean of SES, Holt and damped (M4's "Comb").</summary>
    Comb,

    /// <summary>Exponential smoothing selected by AICc.</summary>
    Ets,
    HoltWintersAdditive,
    HoltWintersMultiplicative,
}

/// <summary>The calendar frequency of a series, which fixes its season lengths.</summary>
public enum SeriesFrequency
{
    Other,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

/// <summary>Lower and upper bounds of a central prediction interval at <see cref="Level"/> percent.</summary>
public sealed record PredictionInterval(double Level, double[] Lower, double[] Upper);

/// <summary>A forecast: point values, prediction intervals and the method that produced it.</summary>
public sealed record ForecastResult(double[] Point, IReadOnlyList<PredictionInterval> Intervals, string Method);

/// <summary>How to forecast: method, season lengths and interval levels.</summary>
public sealed record ForecastOptions
{
    public ForecastMethod Method { get; init; } = ForecastMethod.Auto;

    /// <summary>Main season length m (24 for hourly, 1 for none).</summary>
    public int SeasonLength { get; init; } = 1;

    /// <summary>Optional second, longer season that is a multiple of the first (168 for hourly data), 0 for none.</summary>
    public int LongSeasonLength { get; init; }

    /// <summary>Central interval levels in percent, each in (0, 100).</summary>
    public IReadOnlyList<double> Levels { get; init; } = [80, 95];

    /// <summary>
    /// Season lengths per frequency. Hourly: 24 and 168 (daily and weekly cycles). Weekly: 1, as M4 treats it, with
    /// 52 weeks as the long season the default method may use.
    /// </summary>
    public static ForecastOptions For(SeriesFrequency frequency, params double[] levels) => levels.Length == 0 ? For(frequency, 80, 95) : frequency switch
    {
        SeriesFrequency.Hourly => new() { SeasonLength = 24, LongSeasonLength = 168, Levels = levels },
        SeriesFrequency.Daily => new() { SeasonLength = 7, Levels = levels },
        SeriesFrequency.Weekly => new() { SeasonLength = 1, LongSeasonLength = 52, Levels = levels },
        SeriesFrequency.Monthly => new() { SeasonLength = 12, Levels = levels },
        SeriesFrequency.Quarterly => new() { SeasonLength = 4, Levels = levels },
        _ => new() { SeasonLength = 1, Levels = levels },
    };
}

/// <summary>Documented limits of <see cref="Forecaster"/>; a request beyond them is refused before any work.</summary>
public static class ForecastLimits
{
    /// <summary>Longest accepted series; longer ones are refused, not truncated silently.</summary>
    public const int MaxSeriesLength = 100_000;

    /// <summary>Models are fitted on at most this many of the latest points (older history adds cost, not accuracy).</summary>
    public const int MaxFitLength = 5_000;

    public const int MaxHorizon = 10_000;

    public const int MaxSeasonLength = 1_000;

    public const int MaxLevels = 10;

    /// <summary>Largest accepted |value|; beyond it sums of squares could overflow and give infinite intervals.</summary>
    public const double MaxAbsoluteValue = 1e15;

    /// <summary>
    /// Whether an interval level can be forecast: strictly inside (0, 100) and far enough below 100 that the normal
    /// quantile of 0.5 + level / 200 is below 1. For 99.99999999999999 that sum rounds to 1, where the quantile throws.
    /// </summary>
    public static bool IsLevel(double level) => level is > 0 and < 100 && 0.5 + (level / 200) < 1;
}

/// <summary>
/// Fits forecasting models per request and forecasts: exponential smoothing (SES, Holt, damped, Holt-Winters,
/// AICc-selected ETS), Theta, naive baselines and a combination. Stateless and thread-safe.
/// </summary>
public static class Forecaster
{
    /// <summary>Forecasts <paramref name="horizon"/> steps; throws <see cref="ArgumentException"/> for invalid input (see <see cref="Validate"/>).</summary>
    public static ForecastResult Forecast(ReadOnlySpan<double> series, int horizon, ForecastOptions? options = null)
    {
        options ??= new ForecastOptions();
        var error = Validate(series, horizon, options);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(series));
        }

        var y = series.Length > ForecastLimits.MaxFitLength ? series[^ForecastLimits.MaxFitLength..] : series;
        var forecast = Run(y, horizon, options) ?? ForecastMethods.Naive(y, horizon);
        var point = forecast.Point;
        var nonNegative = true;
        foreach (var v in y)
        {
            nonNegative &= v >= 0;
        }

        var intervals = new List<PredictionInterval>(options.Levels.Count);
        foreach (var level in options.Levels)
        {
            var z = NormalDistribution.Quantile(0.5 + (level / 200));
            var lower = new double[horizon];
            var upper = new double[horizon];
            for (var h = 0; h < horizon; h++)
            {
                lower[h] = point[h] - (z * forecast.StdDev[h]);
                upper[h] = point[h] + (z * forecast.StdDev[h]);
            }

            intervals.Add(new PredictionInterval(level, lower, upper));
        }

        if (nonNegative)
        {
            // A series that never went below zero is forecast not to either (as the M4 organisers did).
            Clamp(point);
            foreach (var interval in intervals)
            {
                Clamp(interval.Lower);
                Clamp(interval.Upper);
            }
        }

        return new ForecastResult(point, intervals, forecast.Method);
    }

    /// <summary>Checks a request without throwing: null when valid, else a message fit for a 400 response.</summary>
    public static string? Validate(ReadOnlySpan<double> series, int horizon, ForecastOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (series.Length == 0)
        {
            return "The series is empty.";
        }

        if (series.Length > ForecastLimits.MaxSeriesLength)
        {
            return $"The series has {series.Length} points; at most {ForecastLimits.MaxSeriesLength} are accepted.";
        }

        if (horizon < 1 || horizon > ForecastLimits.MaxHorizon)
        {
            return $"The horizon must be between 1 and {ForecastLimits.MaxHorizon}, got {horizon}.";
        }

        if (options.SeasonLength < 1 || options.SeasonLength > ForecastLimits.MaxSeasonLength
            || options.LongSeasonLength < 0 || options.LongSeasonLength > ForecastLimits.MaxSeasonLength
            || (options.LongSeasonLength > 0 && options.LongSeasonLength % options.SeasonLength != 0))
        {
            return $"Season lengths must be in 1..{ForecastLimits.MaxSeasonLength} and the long season a multiple of the season.";
        }

        if (options.Levels.Count > ForecastLimits.MaxLevels || !options.Levels.All(ForecastLimits.IsLevel))
        {
            return $"Give at most {ForecastLimits.MaxLevels} interval levels, each strictly between 0 and 100.";
        }

        for (var t = 0; t < series.Length; t++)
        {
            if (!double.IsFinite(series[t]))
            {
                return $"The series has a non-finite value ({series[t]}) at index {t}.";
            }

            if (Math.Abs(series[t]) > ForecastLimits.MaxAbsoluteValue)
            {
                return $"The series has a value beyond ±{ForecastLimits.MaxAbsoluteValue:G} at index {t}.";
            }
        }

        return null;
    }

    private static MethodForecast? Run(ReadOnlySpan<double> y, int horizon, ForecastOptions options)
    {
        var m = options.SeasonLength;
        var longM = options.LongSeasonLength;
        return options.Method switch
        {
            ForecastMethod.Naive => ForecastMethods.Naive(y, horizon),
            ForecastMethod.SeasonalNaive => ForecastMethods.SeasonalNaive(y, m, horizon),
            ForecastMethod.Naive2 => ForecastMethods.Naive2(y, m, horizon),
            ForecastMethod.Ses => ForecastMethods.Smoothing(y, m, horizon, TrendKind.None),
            ForecastMethod.Holt => ForecastMethods.Smoothing(y, m, horizon, TrendKind.Additive),
            ForecastMethod.Damped => ForecastMethods.Smoothing(y, m, horizon, TrendKind.Damped),
            ForecastMethod.Theta => ForecastMethods.Theta(y, m, horizon),
            ForecastMethod.Comb => Comb(y, m, horizon),
            ForecastMethod.Ets => ForecastMethods.AutoEts(y, m, horizon),
            ForecastMethod.HoltWintersAdditive => ForecastMethods.Ets(y, m, horizon, new EtsSpec(false, TrendKind.Additive, SeasonKind.Additive)),
            ForecastMethod.HoltWintersMultiplicative => ForecastMethods.Ets(y, m, horizon, new EtsSpec(true, TrendKind.Additive, SeasonKind.Multiplicative)),
            _ => AutoSelection.Forecast(y, m, longM, horizon),
        };
    }

    private static MethodForecast? Comb(ReadOnlySpan<double> y, int m, int horizon)
    {
        var parts = new List<MethodForecast>(3);
        foreach (var trend in new[] { TrendKind.None, TrendKind.Additive, TrendKind.Damped })
        {
            if (ForecastMethods.Smoothing(y, m, horizon, trend) is { } part)
            {
                parts.Add(part);
            }
        }

        return parts.Count == 0 ? null : ForecastMethods.Combine("Comb", parts);
    }

    private static void Clamp(double[] values)
    {
        for (var n = 0; n < values.Length; n++)
        {
            values[n] = Math.Max(values[n], 0);
        }
    }
}
