using System.Diagnostics;
using Lattice.ML.Forecasting;
using Lattice.ML.Datasets;

namespace Lattice.Bench.Tabular;

/// <summary>Scratch experiments on M4 with the internal methods.</summary>
internal static class ForecastLab
{
    public static void Run(string subset, string[] names, int limit)
    {
        var series = M4Dataset.Read(DatasetLocator.Resolve("forecasting", "m4", $"{subset}-train.csv"), DatasetLocator.Resolve("forecasting", "m4", $"{subset}-test.csv")).Take(limit).ToArray();
        var m = subset == "Hourly" ? 24 : 1;
        var (n2s, n2m) = Score(series, m, (y, h) => ForecastMethods.Naive2(y, m, h));
        Console.WriteLine($"Naive2 sMAPE {n2s:F3} MASE {n2m:F3}");
        foreach (var name in names)
        {
            var sw = Stopwatch.StartNew();
            var (s, ma) = Score(series, m, (y, h) => Method(name, y, m, h));
            Console.WriteLine($"{name}: sMAPE {s:F3} MASE {ma:F3} OWA {ForecastAccuracy.Owa(s, ma, n2s, n2m):F3} ({sw.Elapsed.TotalSeconds:F1}s)");
        }
    }

    private static MethodForecast Method(string name, double[] y, int m, int h)
    {
        if (name.StartsWith("mean(", StringComparison.Ordinal) || name.StartsWith("median(", StringComparison.Ordinal))
        {
            var inner = name[(name.IndexOf('(', StringComparison.Ordinal) + 1)..^1].Split('+');
            return ForecastMethods.Combine(name, inner.Select(n => Method(n, y, m, h)).ToArray(), name.StartsWith("median", StringComparison.Ordinal));
        }

        if (name.StartsWith("top", StringComparison.Ordinal))
        {
            var top = name[3] - '0';
            var windows = name[4] == 'w' ? name[5] - '0' : 1;
            var inner = name[(name.IndexOf('(', StringComparison.Ordinal) + 1)..^1].Split('+');
            double Error(string n)
            {
                double e = 0;
                for (var w = 1; w <= windows; w++)
                {
                    var fit = y[..^(h * w)];
                    var actual = y[^(h * w)..][..h];
                    var p = Method(n, fit, m, h).Point.Select(v => Math.Max(v, 0)).ToArray();
                    e += (ForecastAccuracy.Smape(actual, p) / 100) + ForecastAccuracy.Mase(fit, actual, p, m);
                }

                return e;
            }

            var ranked = inner.Select(n => (n, err: Error(n))).OrderBy(t => t.err).Take(top).Select(t => Method(t.n, y, m, h)).ToArray();
            return ForecastMethods.Combine(name, ranked, median: false);
        }

        var parts = name.Split(':');
        var season = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : m;
        return parts[0] switch
        {
            "snaive" => ForecastMethods.SeasonalNaive(y, season, h),
            "theta" => ForecastMethods.Theta(y, season, h)!,
            "ses" => ForecastMethods.Smoothing(y, season, h, TrendKind.None)!,
            "damped" => ForecastMethods.Smoothing(y, season, h, TrendKind.Damped)!,
            "autoets" => ForecastMethods.AutoEts(y, season, h)!,
            "avg" => SeasonalAverage(y, season, int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), h),
            "recent" => Recent(y, season, int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), parts[3], h),
            _ when parts[0].StartsWith("ets", StringComparison.Ordinal) => ForecastMethods.Ets(y, season, h, Spec(parts[0][3..])) ?? ForecastMethods.SeasonalNaive(y, season, h),
            _ => throw new ArgumentException(name),
        };
    }

    private static MethodForecast SeasonalAverage(double[] y, int season, int cycles, int h)
    {
        var point = new double[h];
        var k = Math.Min(cycles, y.Length / season);
        for (var j = 0; j < h; j++)
        {
            double sum = 0;
            for (var c = 1; c <= k; c++)
            {
                sum += y[y.Length - (c * season) + (j % season)];
            }

            point[j] = sum / k;
        }

        return new MethodForecast("avg", point, new double[h]);
    }

    private static MethodForecast Recent(double[] y, int season, int cycles, string inner, int h)
    {
        var window = y[^Math.Min(y.Length, cycles * season)..];
        var adj = ForecastMethods.Adjust(window, season, h, test: false);
        MethodForecast? f = inner switch
        {
            "ses" => ForecastMethods.Smoothing(adj.Adjusted, 1, h, TrendKind.None),
            "damped" => ForecastMethods.Smoothing(adj.Adjusted, 1, h, TrendKind.Damped),
            "naive" => ForecastMethods.Naive(adj.Adjusted, h),
            "theta" => ForecastMethods.Theta(adj.Adjusted, 1, h),
            _ => ForecastMethods.AutoEts(adj.Adjusted, 1, h),
        };
        return adj.Restore(f!);
    }

    private static EtsSpec Spec(string code) => new(
        code[0] == 'M',
        code[1..^1] switch { "N" => TrendKind.None, "A" => TrendKind.Additive, _ => TrendKind.Damped },
        code[^1] switch { 'N' => SeasonKind.None, 'A' => SeasonKind.Additive, _ => SeasonKind.Multiplicative });

    private static (double Smape, double Mase) Score(M4Series[] series, int m, Func<double[], int, MethodForecast> method)
    {
        var s = new double[series.Length];
        var ma = new double[series.Length];
        Parallel.For(0, series.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
        {
            var f = method(series[k].Train, series[k].Test.Length).Point.Select(v => Math.Max(v, 0)).ToArray();
            s[k] = ForecastAccuracy.Smape(series[k].Test, f);
            ma[k] = ForecastAccuracy.Mase(series[k].Train, series[k].Test, f, m);
        });
        return (s.Average(), ma.Average());
    }
}
