namespace Lattice.ML.Forecasting;

/// <summary>A point forecast with the standard deviation of its error at each step.</summary>
internal sealed record MethodForecast(string Method, double[] Point, double[] StdDev);

/// <summary>Series divided by seasonal indices (or not, when the seasonality test fails) and the indices of the horizon.</summary>
internal readonly record struct SeasonalAdjustment(double[] Adjusted, double[] Future, bool Multiplicative, bool Seasonal)
{
    public MethodForecast Restore(MethodForecast forecast)
    {
        var point = new double[forecast.Point.Length];
        var sd = new double[point.Length];
        for (var h = 0; h < point.Length; h++)
        {
            point[h] = Multiplicative ? forecast.Point[h] * Future[h] : forecast.Point[h] + Future[h];
            sd[h] = Multiplicative ? forecast.StdDev[h] * Future[h] : forecast.StdDev[h];
        }

        return forecast with { Point = point, StdDev = sd };
    }
}

/// <summary>The individual forecasting methods (M4 benchmark definitions where M4 defines them).</summary>
internal static class ForecastMethods
{
    /// <summary>
    /// M4's seasonal adjustment: when the 90% autocorrelation test finds seasonality at lag m, divide by the classical
    /// multiplicative indices (additive ones when the series is not strictly positive).
    /// </summary>
    public static SeasonalAdjustment Adjust(ReadOnlySpan<double> y, int m, int horizon, bool test = true)
    {
        var positive = IsPositive(y);
        var n = y.Length;
        if (m <= 1 || n < 2 * m || (test && !Seasonality.IsSeasonal(y, m)))
        {
            return new SeasonalAdjustment(y.ToArray(), Enumerable.Repeat(positive ? 1.0 : 0.0, horizon).ToArray(), positive, false);
        }

        var indices = Seasonality.ClassicalIndices(y, m, positive);
        var adjusted = new double[n];
        for (var t = 0; t < n; t++)
        {
            adjusted[t] = positive ? y[t] / indices[t % m] : y[t] - indices[t % m];
        }

        var future = new double[horizon];
        for (var h = 0; h < horizon; h++)
        {
            future[h] = indices[(n + h) % m];
        }

        return new SeasonalAdjustment(adjusted, future, positive, true);
    }

    public static bool IsPositive(ReadOnlySpan<double> y)
    {
        foreach (var v in y)
        {
            if (v <= 0)
            {
                return false;
            }
        }

        return true;
    }

    public static MethodForecast Naive(ReadOnlySpan<double> y, int horizon)
    {
        var sigma = DifferenceRms(y, 1);
        var point = Enumerable.Repeat(y[^1], horizon).ToArray();
        var sd = Enumerable.Range(1, horizon).Select(h => sigma * Math.Sqrt(h)).ToArray();
        return new MethodForecast("Naive", point, sd);
    }

    public static MethodForecast SeasonalNaive(ReadOnlySpan<double> y, int m, int horizon)
    {
        if (m <= 1 || y.Length < m)
        {
            return Naive(y, horizon);
        }

        var sigma = DifferenceRms(y, m);
        var point = new double[horizon];
        var sd = new double[horizon];
        for (var h = 0; h < horizon; h++)
        {
            point[h] = y[y.Length - m + (h % m)];
            sd[h] = sigma * Math.Sqrt((h / m) + 1);
        }

        return new MethodForecast($"SeasonalNaive({m})", point, sd);
    }

    public static MethodForecast Naive2(ReadOnlySpan<double> y, int m, int horizon)
    {
        var adjustment = Adjust(y, m, horizon);
        return adjustment.Restore(Naive(adjustment.Adjusted, horizon) with { Method = "Naive2" });
    }

    /// <summary>SES, Holt or damped Holt on the M4-adjusted series (the M4 benchmarks).</summary>
    public static MethodForecast? Smoothing(ReadOnlySpan<double> y, int m, int horizon, TrendKind trend)
    {
        var adjustment = Adjust(y, m, horizon);
        var fit = Forecasting.Ets.Fit(adjustment.Adjusted, 1, new EtsSpec(false, trend, SeasonKind.None));
        if (fit is null)
        {
            return null;
        }

        var point = fit.Forecast(horizon);
        var name = trend switch { TrendKind.None => "SES", TrendKind.Additive => "Holt", _ => "Damped" };
        return adjustment.Restore(new MethodForecast(name, point, fit.StandardDeviations(point)));
    }

    /// <summary>ETS with the given specification on the raw series (Holt-Winters when seasonal).</summary>
    public static MethodForecast? Ets(ReadOnlySpan<double> y, int m, int horizon, EtsSpec spec)
    {
        var fit = Forecasting.Ets.Fit(y, m, spec);
        return fit is null ? null : FromFit(fit, horizon);
    }

    /// <summary>ETS selected by AICc among the admissible candidates.</summary>
    public static MethodForecast? AutoEts(ReadOnlySpan<double> y, int m, int horizon)
    {
        var seasonal = m > 1 && y.Length >= 2 * m;
        var fit = Forecasting.Ets.Select(y, m, Forecasting.Ets.Candidates(m, IsPositive(y), seasonal));
        return fit is null ? null : FromFit(fit, horizon);
    }

    /// <summary>
    /// Non-seasonal ETS fitted once per specification: SES, Holt and damped Holt (additive errors) and the AICc
    /// choice among those and their multiplicative-error forms, so a caller that wants all four pays for six fits.
    /// </summary>
    public static MethodForecast?[] NonSeasonalEtsFamily(ReadOnlySpan<double> y, int horizon)
    {
        var specs = Forecasting.Ets.Candidates(1, IsPositive(y), seasonal: false);
        var fits = new EtsFit?[specs.Count];
        for (var n = 0; n < fits.Length; n++)
        {
            fits[n] = Forecasting.Ets.Fit(y, 1, specs[n]);
        }

        MethodForecast? Named(EtsFit? fit, string name) => fit is null ? null : FromFit(fit, horizon) with { Method = name };
        EtsFit? Find(TrendKind trend) => fits.FirstOrDefault(f => f is { Spec.MultiplicativeError: false } && f.Spec.Trend == trend);
        var best = fits.OfType<EtsFit>().MinBy(f => f.Aicc);
        return [Named(Find(TrendKind.None), "SES"), Named(Find(TrendKind.Additive), "Holt"), Named(Find(TrendKind.Damped), "Damped"), Named(best, best?.Spec.Name ?? string.Empty)];
    }

    /// <summary>
    /// The classic Theta method as the M4 organisers ran it (Assimakopoulos and Nikolopoulos 2000): on the adjusted
    /// series, the average of the extrapolated regression line (θ = 0) and SES on the θ = 2 line.
    /// </summary>
    public static MethodForecast? Theta(ReadOnlySpan<double> y, int m, int horizon, bool seasonalTest = true)
    {
        var adjustment = Adjust(y, m, horizon, seasonalTest);
        var x = adjustment.Adjusted;
        var n = x.Length;
        var (intercept, slope) = LinearTrend(x);
        var thetaLine = new double[n];
        for (var t = 0; t < n; t++)
        {
            thetaLine[t] = (2 * x[t]) - (intercept + (slope * (t + 1)));
        }

        var ses = Forecasting.Ets.Fit(thetaLine, 1, new EtsSpec(false, TrendKind.None, SeasonKind.None));
        if (ses is null)
        {
            return null;
        }

        var sesPoint = ses.Forecast(horizon);
        var point = new double[horizon];
        var positive = IsPositive(y);
        for (var h = 0; h < horizon; h++)
        {
            point[h] = (0.5 * sesPoint[h]) + (0.5 * (intercept + (slope * (n + h + 1))));
            if (positive && point[h] < 0)
            {
                point[h] = 0;
            }
        }

        // Theta is SES with drift (Hyndman and Billah 2003); its errors widen like SES's with half the θ-line's noise.
        var sd = ses.StandardDeviations(sesPoint);
        for (var h = 0; h < horizon; h++)
        {
            sd[h] *= 0.5;
        }

        return adjustment.Restore(new MethodForecast(m > 1 ? $"Theta({m})" : "Theta", point, sd));
    }

    public static (double Intercept, double Slope) LinearTrend(ReadOnlySpan<double> x)
    {
        var n = x.Length;
        if (n < 2)
        {
            return (x[0], 0);
        }

        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (var t = 0; t < n; t++)
        {
            double time = t + 1;
            sx += time;
            sy += x[t];
            sxx += time * time;
            sxy += time * x[t];
        }

        var slope = ((n * sxy) - (sx * sy)) / ((n * sxx) - (sx * sx));
        return ((sy - (slope * sx)) / n, slope);
    }

    /// <summary>Mean of the last <paramref name="cycles"/> seasons at the same phase (a smoothed seasonal naive).</summary>
    public static MethodForecast SeasonalAverage(ReadOnlySpan<double> y, int m, int cycles, int horizon)
    {
        var k = Math.Min(cycles, y.Length / m);
        if (m <= 1 || k < 1)
        {
            return SeasonalNaive(y, m, horizon) with { Method = "SeasonalAverage" };
        }

        var point = new double[horizon];
        for (var h = 0; h < horizon; h++)
        {
            double sum = 0;
            for (var c = 1; c <= k; c++)
            {
                sum += y[y.Length - (c * m) + (h % m)];
            }

            point[h] = sum / k;
        }

        // Errors of an average of k seasons are those of seasonal naive, a little damped.
        var sd = SeasonalNaive(y, m, horizon).StdDev;
        return new MethodForecast($"SeasonalAverage({m}x{k})", point, sd);
    }

    /// <summary>SES on the last <paramref name="cycles"/> seasons, seasonally adjusted with indices from that window only (tracks a changing pattern).</summary>
    public static MethodForecast? RecentSeasonalSes(ReadOnlySpan<double> y, int m, int cycles, int horizon)
    {
        var window = y[^Math.Min(y.Length, cycles * m)..];
        if (m <= 1 || window.Length < 2 * m)
        {
            return null;
        }

        var adjustment = Adjust(window, m, horizon, test: false);
        var fit = Forecasting.Ets.Fit(adjustment.Adjusted, 1, new EtsSpec(false, TrendKind.None, SeasonKind.None));
        if (fit is null)
        {
            return null;
        }

        var point = fit.Forecast(horizon);
        return adjustment.Restore(new MethodForecast($"RecentSeasonalSes({m}x{cycles})", point, fit.StandardDeviations(point)));
    }

    /// <summary>Mean of the points and of the standard deviations of several forecasts.</summary>
    public static MethodForecast Combine(string name, IReadOnlyList<MethodForecast> parts, bool median = false)
    {
        var horizon = parts[0].Point.Length;
        var point = new double[horizon];
        var sd = new double[horizon];
        var buffer = new double[parts.Count];
        for (var h = 0; h < horizon; h++)
        {
            for (var k = 0; k < parts.Count; k++)
            {
                buffer[k] = parts[k].Point[h];
                sd[h] += parts[k].StdDev[h] / parts.Count;
            }

            if (median)
            {
                Array.Sort(buffer);
                point[h] = buffer.Length % 2 == 1 ? buffer[buffer.Length / 2] : 0.5 * (buffer[(buffer.Length / 2) - 1] + buffer[buffer.Length / 2]);
            }
            else
            {
                point[h] = buffer.Average();
            }
        }

        return new MethodForecast(name, point, sd);
    }

    private static MethodForecast FromFit(EtsFit fit, int horizon)
    {
        var point = fit.Forecast(horizon);
        return new MethodForecast(fit.Spec.Name, point, fit.StandardDeviations(point));
    }

    private static double DifferenceRms(ReadOnlySpan<double> y, int lag)
    {
        double sum = 0;
        var count = 0;
        for (var t = lag; t < y.Length; t++)
        {
            var d = y[t] - y[t - lag];
            sum += d * d;
            count++;
        }

        return count == 0 ? 0 : Math.Sqrt(sum / count);
    }
}
