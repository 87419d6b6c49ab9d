namespace Lattice.ML.Forecasting;

/// <summary>
/// The default method: a pool of candidate methods suited to the season structure is scored on the last few
/// horizons of the history (rolling origin, each refitted without the part it forecasts), and the two with the
/// lowest sMAPE/100 + MASE are averaged, refitted on the whole history. Different series favour different
/// methods (a stable daily profile, a weekly one, a level shift), so choosing per series beats any single method.
/// </summary>
internal static class AutoSelection
{
    public const int ValidationWindows = 3;
    public const int Combined = 2;

    /// <summary>Produces a fixed number of candidate forecasts (several when they share fitting work).</summary>
    private delegate MethodForecast?[] Candidate(ReadOnlySpan<double> y, int horizon);

    public static MethodForecast? Forecast(ReadOnlySpan<double> y, int m, int longM, int horizon)
    {
        if (longM > m && y.Length - horizon < (2 * longM) + 2)
        {
            // Too short to validate methods that use the long season: leave them out rather than the whole pool.
            longM = 0;
        }

        var pool = Pool(m, longM, ForecastMethods.IsPositive(y));

        // Each validation fit must keep enough history for the longest season the pool uses.
        var needed = 2 * Math.Max(m, longM) + 2;
        var windows = Math.Min(ValidationWindows, (y.Length - needed) / horizon);
        if (windows < 1)
        {
            return Fallback(y, m, horizon);
        }

        var errors = new double[pool.Length][];
        var scaleLag = y.Length - (windows * horizon) > m ? m : 1;
        for (var w = 1; w <= windows; w++)
        {
            var fit = y[..^(w * horizon)];
            var actual = y[^(w * horizon)..][..horizon];
            for (var c = 0; c < pool.Length; c++)
            {
                var forecasts = pool[c](fit, horizon);
                errors[c] ??= new double[forecasts.Length];
                for (var k = 0; k < forecasts.Length; k++)
                {
                    errors[c][k] += forecasts[k] is { } forecast ? Error(fit, actual, forecast.Point, scaleLag) : double.PositiveInfinity;
                }
            }
        }

        // Refit on the whole history only the generators whose outputs won, best first.
        var ranked = errors.SelectMany((e, c) => e.Select((error, k) => (Error: error, Generator: c, Output: k)))
            .Where(r => double.IsFinite(r.Error)).OrderBy(r => r.Error).ToArray();
        var refitted = new Dictionary<int, MethodForecast?[]>();
        var chosen = new List<MethodForecast>(Combined);
        foreach (var (_, c, k) in ranked)
        {
            if (!refitted.TryGetValue(c, out var forecasts))
            {
                forecasts = pool[c](y, horizon);
                refitted[c] = forecasts;
            }

            if (forecasts[k] is { } forecast)
            {
                chosen.Add(forecast);
            }

            if (chosen.Count == Combined)
            {
                break;
            }
        }

        return chosen.Count switch
        {
            0 => Fallback(y, m, horizon),
            1 => chosen[0],
            _ => ForecastMethods.Combine($"Combination({string.Join(", ", chosen.Select(f => f.Method))})", chosen),
        };
    }

    private static Candidate[] Pool(int m, int longM, bool positive)
    {
        var pool = new List<Candidate>();
        if (m > 1)
        {
            pool.Add((y, h) => [ForecastMethods.SeasonalNaive(y, m, h)]);
            pool.Add((y, h) => [ForecastMethods.SeasonalAverage(y, m, 3, h)]);
            pool.Add((y, h) => [ForecastMethods.Ets(y, m, h, new EtsSpec(false, TrendKind.None, SeasonKind.Additive))]);
            if (positive)
            {
                pool.Add((y, h) => [ForecastMethods.Ets(y, m, h, new EtsSpec(true, TrendKind.None, SeasonKind.Multiplicative))]);
            }

            if (longM <= m)
            {
                pool.Add((y, h) => [ForecastMethods.Theta(y, m, h)]);
                pool.Add((y, h) => [ForecastMethods.Smoothing(y, m, h, TrendKind.Damped)]);
            }
        }
        else
        {
            pool.Add((y, h) => [ForecastMethods.Naive(y, h)]);
            pool.Add((y, h) => [ForecastMethods.Theta(y, 1, h)]);
            pool.Add(ForecastMethods.NonSeasonalEtsFamily);
        }

        if (longM > m)
        {
            pool.Add((y, h) => [ForecastMethods.SeasonalNaive(y, longM, h)]);
            pool.Add((y, h) => [ForecastMethods.Theta(y, longM, h)]);
            if (m > 1)
            {
                pool.Add((y, h) => [ForecastMethods.RecentSeasonalSes(y, longM, 4, h)]);
            }
        }

        return [.. pool];
    }

    /// <summary>Too short to validate: Theta (with the M4 seasonal adjustment when there is room for it).</summary>
    private static MethodForecast? Fallback(ReadOnlySpan<double> y, int m, int horizon) =>
        y.Length >= 3 ? ForecastMethods.Theta(y, m, horizon) : ForecastMethods.Naive(y, horizon);

    private static double Error(ReadOnlySpan<double> insample, ReadOnlySpan<double> actual, double[] forecast, int lag)
    {
        double smape = 0, absolute = 0, scale = 0;
        for (var h = 0; h < actual.Length; h++)
        {
            var f = forecast[h];
            var denominator = Math.Abs(actual[h]) + Math.Abs(f);
            smape += denominator == 0 ? 0 : 2 * Math.Abs(actual[h] - f) / denominator;
            absolute += Math.Abs(actual[h] - f);
        }

        for (var t = lag; t < insample.Length; t++)
        {
            scale += Math.Abs(insample[t] - insample[t - lag]);
        }

        scale /= Math.Max(insample.Length - lag, 1);
        return (smape / actual.Length) + (scale > 0 ? absolute / actual.Length / scale : 0);
    }
}
