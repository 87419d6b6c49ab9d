namespace Lattice.ML.Forecasting;

/// <summary>The M4 organisers' seasonality test and R's classical decomposition, used to seasonally adjust series.</summary>
public static class Seasonality
{
    /// <summary>Autocorrelation at lags 1..<paramref name="maxLag"/> (R's <c>acf</c>: one mean, full-length denominator).</summary>
    public static double[] Autocorrelation(ReadOnlySpan<double> y, int maxLag)
    {
        var n = y.Length;
        double mean = 0;
        foreach (var v in y)
        {
            mean += v;
        }

        mean /= n;
        double denominator = 0;
        foreach (var v in y)
        {
            denominator += (v - mean) * (v - mean);
        }

        var acf = new double[maxLag];
        for (var k = 1; k <= maxLag && k < n; k++)
        {
            double sum = 0;
            for (var t = 0; t + k < n; t++)
            {
                sum += (y[t] - mean) * (y[t + k] - mean);
            }

            acf[k - 1] = denominator == 0 ? 0 : sum / denominator;
        }

        return acf;
    }

    /// <summary>
    /// M4's 90% test: seasonal when n ≥ 3m and |acf(m)| &gt; 1.645·√((1 + 2Σ_{k&lt;m} acf(k)²)/n).
    /// </summary>
    public static bool IsSeasonal(ReadOnlySpan<double> y, int seasonLength)
    {
        if (seasonLength <= 1 || y.Length < 3 * seasonLength)
        {
            return false;
        }

        var acf = Autocorrelation(y, seasonLength);
        double sum = 1;
        for (var k = 0; k < seasonLength - 1; k++)
        {
            sum += 2 * acf[k] * acf[k];
        }

        var limit = 1.645 / Math.Sqrt(y.Length) * Math.Sqrt(sum);
        return Math.Abs(acf[seasonLength - 1]) > limit;
    }

    /// <summary>
    /// Seasonal indices of R's <c>decompose</c>: a centred moving average (2×m for even m) as trend, then the mean
    /// detrended value per phase, normalised to mean 1 (multiplicative) or 0 (additive). Index k is the phase of
    /// observation k, k + m, ...
    /// </summary>
    public static double[] ClassicalIndices(ReadOnlySpan<double> y, int seasonLength, bool multiplicative)
    {
        var m = seasonLength;
        var n = y.Length;
        if (m <= 1 || n < 2 * m)
        {
            throw new ArgumentException($"Classical decomposition needs at least two full seasons ({2 * m} points), got {n}.", nameof(y));
        }

        var half = m / 2;
        var sums = new double[m];
        var counts = new int[m];
        for (var t = half; t < n - half; t++)
        {
            double trend;
            if (m % 2 == 0)
            {
                trend = (0.5 * y[t - half]) + (0.5 * y[t + half]);
                for (var k = t - half + 1; k < t + half; k++)
                {
                    trend += y[k];
                }
            }
            else
            {
                trend = 0;
                for (var k = t - half; k <= t + half; k++)
                {
                    trend += y[k];
                }
            }

            trend /= m;
            var detrended = multiplicative ? y[t] / trend : y[t] - trend;
            if (double.IsFinite(detrended))
            {
                sums[t % m] += detrended;
                counts[t % m]++;
            }
        }

        var figure = new double[m];
        for (var k = 0; k < m; k++)
        {
            figure[k] = counts[k] == 0 ? (multiplicative ? 1 : 0) : sums[k] / counts[k];
        }

        var average = figure.Average();
        for (var k = 0; k < m; k++)
        {
            figure[k] = multiplicative ? figure[k] / average : figure[k] - average;
        }

        return figure;
    }
}
