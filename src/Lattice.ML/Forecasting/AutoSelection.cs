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

    private delegate MethodForecast? Candidate(ReadOnlySpan<double> y, int horizon);

    public static MethodForecast? Forecast(ReadOnlySpan<double> y, int m, int longM, int horizon)
    {
        var pool = Pool(m, longM, ForecastMethods.IsPositive(y));

        // Each validation fit must keep enough history for the longest season the pool uses.
        var needed = 2 * Math.Max(m, longM) + 2;
        var windows = Math.Min(ValidationWindows, (y.Length - needed) / horizon);
        if (windows < 1)
        {
            return Fallback(y, m, horizon);
        }

        var errors = new double[pool.Length];
        var scaleLag = y.Length - (windows * horizon) > m ? m : 1;
        for (var w = 1; w <= windows; w++)
        {
            var fit = y[..^(w * horizon)];
            var actual = y[^(w * horizon)..][..horizon];
            for (var c = 0; c < pool.Length; c++)
            {
                var forecast = pool[c](fit, horizon);
                errors[c] += forecast is null ? double.PositiveInfinity : Error(fit, actual, forecast.Point, scaleLag);
            }
        }

        var order = Enumerable.Range(0, pool.Length).Where(c => double.IsFinite(errors[c])).OrderBy(c => errors[c]).ToArray();
        var chosen = new List<MethodForecast>(Combined);
        foreach (var c in order)
        {
            if (pool[c](y, horizon) is { } forecast)
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
            pool.Add((y, h) => ForecastMethods.SeasonalNaive(y, m, h));
            pool.Add((y, h) => ForecastMethods.SeasonalAverage(y, m, 3, h));
            pool.Add((y, h) => ForecastMethods.Ets(y, m, h, new EtsSpec(false, TrendKind.None, SeasonKind.Additive)));
            if (positive)
            {
                pool.Add((y, h) => ForecastMethods.Ets(y, m, h, new EtsSpec(true, TrendKind.None, SeasonKind.Multiplicative)));
            }

            if (longM <= m)
            {
                pool.Add((y, h) => ForecastMethods.Theta(y, m, h));
                pool.Add((y, h) => ForecastMethods.Smoothing(y, m, h, TrendKind.Damped));
            }
        }
        else
        {
            pool.Add((y, h) => ForecastMethods.Naive(y, h));
            pool.Add((y, h) => ForecastMethods.Smoothing(y, 1, h, TrendKind.None));
            pool.Add((y, h) => ForecastMethods.Smoothing(y, 1, h, TrendKind.Damped));
            pool.Add((y, h) => ForecastMethods.Ets(y, 1, h, new EtsSpec(false, TrendKind.Additive, SeasonKind.None)));
            pool.Add((y, h) => ForecastMethods.Theta(y, 1, h));
            pool.Add((y, h) => ForecastMethods.AutoEts(y, 1, h));
        }

        if (longM > m)
        {
            pool.Add((y, h) => ForecastMethods.SeasonalNaive(y, longM, h));
            pool.Add((y, h) => ForecastMethods.Theta(y, longM, h));
            if (m > 1)
            {
                pool.Add((y, h) => ForecastMethods.RecentSeasonalSes(y, longM, 4, h));
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
