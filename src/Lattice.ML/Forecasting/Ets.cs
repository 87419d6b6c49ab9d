namespace Lattice.ML.Forecasting;

internal enum TrendKind
{
    None,
    Additive,
    Damped,
}

internal enum SeasonKind
{
    None,
    Additive,
    Multiplicative,
}

/// <summary>An exponential-smoothing state-space model ETS(error, trend, season) in Hyndman et al.'s (2008) taxonomy.</summary>
internal readonly record struct EtsSpec(bool MultiplicativeError, TrendKind Trend, SeasonKind Season)
{
    public string Name => $"ETS({(MultiplicativeError ? 'M' : 'A')},{Trend switch { TrendKind.None => "N", TrendKind.Additive => "A", _ => "Ad" }},{Season switch { SeasonKind.None => 'N', SeasonKind.Additive => 'A', _ => 'M' }})";
}

/// <summary>A fitted ETS model: parameters, final states and fit statistics.</summary>
internal sealed class EtsFit
{
    public required EtsSpec Spec { get; init; }

    public required int SeasonLength { get; init; }

    public required double Alpha { get; init; }

    public required double Beta { get; init; }

    public required double Gamma { get; init; }

    public required double Phi { get; init; }

    public required double Level { get; init; }

    public required double Slope { get; init; }

    /// <summary>Seasonal states by phase: Season[t % m] is the latest seasonal for the phase of time t.</summary>
    public required double[] Season { get; init; }

    public required int Length { get; init; }

    /// <summary>One-step residual variance (relative errors for multiplicative-error models).</summary>
    public required double Sigma2 { get; init; }

    public required double Aicc { get; init; }

    public double[] Forecast(int horizon)
    {
        var result = new double[horizon];
        var phiSum = 0.0;
        var phiPower = 1.0;
        for (var h = 1; h <= horizon; h++)
        {
            phiPower *= Spec.Trend == TrendKind.Damped ? Phi : 1;
            phiSum += Spec.Trend == TrendKind.None ? 0 : phiPower;
            var level = Level + (phiSum * Slope);
            var s = Season.Length == 0 ? 0 : Season[(Length + h - 1) % SeasonLength];
            result[h - 1] = Spec.Season switch
            {
                SeasonKind.Additive => level + s,
                SeasonKind.Multiplicative => level * s,
                _ => level,
            };
        }

        return result;
    }

    /// <summary>
    /// Forecast standard deviation per step: σ²(1 + Σ_{j&lt;h} c_j²) with c_j = α + β·Σφ^i + γ·[j mod m = 0]
    /// (exact for additive-error linear models; for multiplicative errors the usual small-σ approximation scaled by |ŷ|).
    /// </summary>
    public double[] StandardDeviations(ReadOnlySpan<double> point)
    {
        var result = new double[point.Length];
        double sumSquares = 0, phiSum = 0, phiPower = 1;
        for (var h = 1; h <= point.Length; h++)
        {
            var variance = Sigma2 * (1 + sumSquares);
            result[h - 1] = Spec.MultiplicativeError ? Math.Abs(point[h - 1]) * Math.Sqrt(variance) : Math.Sqrt(variance);
            phiPower *= Spec.Trend == TrendKind.Damped ? Phi : 1;
            phiSum += phiPower;
            var c = Alpha + (Spec.Trend == TrendKind.None ? 0 : Beta * phiSum) + (Spec.Season != SeasonKind.None && h % SeasonLength == 0 ? Gamma : 0);
            sumSquares += c * c;
        }

        return result;
    }
}

/// <summary>
/// Fits ETS models by maximum likelihood (Nelder–Mead over the smoothing parameters and the initial level and
/// slope; seasonal initial states from a classical decomposition of the first seasons) with forecast's usual
/// bounds, and selects among them by AICc.
/// </summary>
internal static class Ets
{
    private const double Penalty = 1e300;

    public static IReadOnlyList<EtsSpec> Candidates(int seasonLength, bool positive, bool seasonal)
    {
        var list = new List<EtsSpec>();
        var seasons = seasonal && seasonLength > 1 ? new[] { SeasonKind.None, SeasonKind.Additive, SeasonKind.Multiplicative } : [SeasonKind.None];
        foreach (var multiplicativeError in positive ? new[] { false, true } : [false])
        {
            foreach (var trend in new[] { TrendKind.None, TrendKind.Additive, TrendKind.Damped })
            {
                foreach (var season in seasons)
                {
                    // Additive errors with multiplicative seasonality are numerically unstable (Hyndman et al.), and
                    // multiplicative seasonality needs a positive series.
                    if (season == SeasonKind.Multiplicative && (!multiplicativeError || !positive))
                    {
                        continue;
                    }

                    list.Add(new EtsSpec(multiplicativeError, trend, season));
                }
            }
        }

        return list;
    }

    /// <summary>Fits every candidate and returns the one with the lowest AICc (null when none could be fitted).</summary>
    public static EtsFit? Select(ReadOnlySpan<double> y, int seasonLength, IReadOnlyList<EtsSpec> candidates)
    {
        EtsFit? best = null;
        foreach (var spec in candidates)
        {
            var fit = Fit(y, seasonLength, spec);
            if (fit is not null && (best is null || fit.Aicc < best.Aicc))
            {
                best = fit;
            }
        }

        return best;
    }

    public static EtsFit? Fit(ReadOnlySpan<double> y, int seasonLength, EtsSpec spec)
    {
        var m = spec.Season == SeasonKind.None ? 1 : seasonLength;
        var n = y.Length;
        if (spec.Season != SeasonKind.None && (m < 2 || n < 2 * m))
        {
            return null;
        }

        var season = spec.Season == SeasonKind.None ? [] : InitialSeason(y, m, spec.Season == SeasonKind.Multiplicative);
        var adjusted = new double[Math.Min(n, 10)];
        for (var t = 0; t < adjusted.Length; t++)
        {
            adjusted[t] = spec.Season switch
            {
                SeasonKind.Additive => y[t] - season[t % m],
                SeasonKind.Multiplicative => y[t] / season[t % m],
                _ => y[t],
            };
        }

        var (level0, slope0) = InitialLevel(adjusted, spec.Trend != TrendKind.None);
        var hasTrend = spec.Trend != TrendKind.None;
        var hasSeason = spec.Season != SeasonKind.None;
        var damped = spec.Trend == TrendKind.Damped;

        // Parameter vector: alpha, [beta], [gamma], [phi], level0, [slope0]; starting values as forecast::ets.
        var start = new List<double> { 0.1 + (0.2 * 0.8 / m) };
        var steps = new List<double> { 0.1 };
        if (hasTrend)
        {
            start.Add(0.01);
            steps.Add(0.01);
        }

        if (hasSeason)
        {
            start.Add(0.01);
            steps.Add(0.01);
        }

        if (damped)
        {
            start.Add(0.97);
            steps.Add(0.005);
        }

        var scale = Math.Max(Math.Abs(level0), 1e-3);
        start.Add(level0);
        steps.Add(0.05 * scale);
        if (hasTrend)
        {
            start.Add(slope0);
            steps.Add(0.05 * scale / Math.Max(1, n / 10.0) + 1e-6);
        }

        var data = y.ToArray();
        var work = new double[Math.Max(m, 1)];
        double Objective(ReadOnlySpan<double> p)
        {
            var prm = Unpack(p, spec);
            return prm.Valid ? Run(data, spec, m, prm, season, work, null).Likelihood : Penalty;
        }

        var (best, value) = NelderMead.Minimize(Objective, [.. start], [.. steps], maxEvaluations: 200 * start.Count);
        if (value >= Penalty || !double.IsFinite(value))
        {
            return null;
        }

        var parameters = Unpack(best, spec);
        var final = new double[season.Length];
        var run = Run(data, spec, m, parameters, season, work, final);

        // Every estimated quantity counts, seasonal initial states included (m − 1 free after normalisation), plus σ².
        var k = best.Length + (hasSeason ? m - 1 : 0) + 1;
        var aic = run.Likelihood + (2 * k);
        var aicc = n - k - 1 > 0 ? aic + (2.0 * k * (k + 1) / (n - k - 1)) : double.PositiveInfinity;
        var dof = Math.Max(n - k + 1, 1);
        return new EtsFit
        {
            Spec = spec, SeasonLength = m, Alpha = parameters.Alpha, Beta = parameters.Beta, Gamma = parameters.Gamma, Phi = parameters.Phi,
            Level = run.Level, Slope = run.Slope, Season = final, Length = n, Sigma2 = run.Sse / dof, Aicc = aicc,
        };
    }

    private readonly record struct Parameters(bool Valid, double Alpha, double Beta, double Gamma, double Phi, double Level0, double Slope0);

    private static Parameters Unpack(ReadOnlySpan<double> p, EtsSpec spec)
    {
        var i = 0;
        var alpha = p[i++];
        var beta = spec.Trend != TrendKind.None ? p[i++] : 0;
        var gamma = spec.Season != SeasonKind.None ? p[i++] : 0;
        var phi = spec.Trend == TrendKind.Damped ? p[i++] : 1;
        var level0 = p[i++];
        var slope0 = spec.Trend != TrendKind.None ? p[i] : 0;

        // forecast's "usual" region: 0 < β < α < 1, 0 < γ < 1 − α, 0.8 ≤ φ ≤ 0.98.
        var valid = alpha is >= 1e-4 and <= 0.9999
            && (spec.Trend == TrendKind.None || (beta >= 1e-4 && beta <= alpha))
            && (spec.Season == SeasonKind.None || (gamma >= 1e-4 && gamma <= 1 - alpha))
            && (spec.Trend != TrendKind.Damped || phi is >= 0.8 and <= 0.98)
            && double.IsFinite(level0) && double.IsFinite(slope0)
            && (!spec.MultiplicativeError || level0 > 0);
        return new Parameters(valid, alpha, beta, gamma, phi, level0, slope0);
    }

    private readonly record struct RunResult(double Likelihood, double Sse, double Level, double Slope);

    /// <summary>Runs the filter (forecast's etscalc update equations) and returns −2 log-likelihood up to a constant.</summary>
    private static RunResult Run(double[] y, EtsSpec spec, int m, Parameters p, double[] initialSeason, double[] work, double[]? finalSeason)
    {
        var season = work.AsSpan(0, initialSeason.Length);
        initialSeason.CopyTo(season);
        double level = p.Level0, slope = p.Slope0, sse = 0, logSum = 0;
        var multiplicativeSeason = spec.Season == SeasonKind.Multiplicative;
        var hasSeason = spec.Season != SeasonKind.None;
        for (var t = 0; t < y.Length; t++)
        {
            var phiB = p.Phi * slope;
            var q = level + phiB;
            var s = hasSeason ? season[t % m] : 0;
            var fitted = !hasSeason ? q : multiplicativeSeason ? q * s : q + s;
            double error;
            if (spec.MultiplicativeError)
            {
                if (fitted <= 1e-10 || !double.IsFinite(fitted))
                {
                    return new RunResult(Penalty, Penalty, level, slope);
                }

                error = (y[t] - fitted) / fitted;
                logSum += Math.Log(fitted);
            }
            else
            {
                error = y[t] - fitted;
            }

            sse += error * error;
            var deseasonalized = !hasSeason ? y[t] : multiplicativeSeason ? y[t] / s : y[t] - s;
            var newLevel = q + (p.Alpha * (deseasonalized - q));
            if (spec.Trend != TrendKind.None)
            {
                slope = phiB + (p.Beta / p.Alpha * (newLevel - level - phiB));
            }

            if (hasSeason)
            {
                var detrended = multiplicativeSeason ? y[t] / q : y[t] - q;
                season[t % m] = s + (p.Gamma * (detrended - s));
            }

            level = newLevel;
            if (!double.IsFinite(level) || !double.IsFinite(sse))
            {
                return new RunResult(Penalty, Penalty, level, slope);
            }
        }

        if (finalSeason is not null)
        {
            season.CopyTo(finalSeason);
        }
        var likelihood = (y.Length * Math.Log(Math.Max(sse, 1e-300))) + (2 * logSum);
        return new RunResult(likelihood, sse, level, slope);
    }

    private static double[] InitialSeason(ReadOnlySpan<double> y, int m, bool multiplicative)
    {
        var window = y[..Math.Min(y.Length, Math.Max(4 * m, 2 * m))];
        return Seasonality.ClassicalIndices(window, m, multiplicative);
    }

    /// <summary>Level and slope from a least-squares line through the first (seasonally adjusted) points.</summary>
    private static (double Level, double Slope) InitialLevel(ReadOnlySpan<double> y, bool trend)
    {
        if (!trend || y.Length < 2)
        {
            double mean = 0;
            foreach (var v in y)
            {
                mean += v;
            }

            return (mean / y.Length, 0);
        }

        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (var t = 0; t < y.Length; t++)
        {
            sx += t + 1;
            sy += y[t];
            sxx += (t + 1.0) * (t + 1);
            sxy += (t + 1) * y[t];
        }

        var n = y.Length;
        var slope = ((n * sxy) - (sx * sy)) / ((n * sxx) - (sx * sx));
        var intercept = (sy - (slope * sx)) / n;
        return (intercept, slope);
    }
}
