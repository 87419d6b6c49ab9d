using System.Diagnostics;
using System.Globalization;
using Lattice.ML.Datasets;
using Lattice.ML.Forecasting;

namespace Lattice.Bench.Tabular;

/// <summary>M4 Hourly and Weekly: sMAPE, MASE and OWA exactly as the organisers compute them, next to their table.</summary>
internal static class ForecastBench
{
    public static (double Hourly, double Weekly) Run()
    {
        Report.Header("Forecasting: M4 Hourly (h=48, MASE m=24) and Weekly (h=13, MASE m=1)");
        var published = Published();
        var hourly = RunSubset("Hourly", SeriesFrequency.Hourly, 24, published);
        var weekly = RunSubset("Weekly", SeriesFrequency.Weekly, 1, published);
        Report.Note("published: M4 'Evaluation and Ranks.xlsx'; Auto = per-series validated combination (Lattice default); time = wall time per series on 2 threads");
        return (hourly, weekly);
    }

    private static double RunSubset(string subset, SeriesFrequency frequency, int maseLag, Dictionary<string, double[]> published)
    {
        var series = M4Dataset.Read(
            DatasetLocator.Resolve("forecasting", "m4", $"{subset}-train.csv"), DatasetLocator.Resolve("forecasting", "m4", $"{subset}-test.csv"));
        var column = subset == "Hourly" ? 0 : 3;
        (ForecastMethod Method, string Published)[] methods =
        [
            (ForecastMethod.Naive2, "Naive2"), (ForecastMethod.SeasonalNaive, "sNaive"), (ForecastMethod.Ses, "SES"),
            (ForecastMethod.Theta, "Theta"), (ForecastMethod.Damped, "Damped"), (ForecastMethod.Auto, "118"),
        ];
        double naive2Smape = 0, naive2Mase = 0, auto = 0;
        foreach (var (method, key) in methods)
        {
            var options = ForecastOptions.For(frequency) with { Method = method };
            var smape = new double[series.Count];
            var mase = new double[series.Count];
            var watch = Stopwatch.StartNew();
            Parallel.For(0, series.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
            {
                var forecast = Forecaster.Forecast(series[k].Train, series[k].Test.Length, options);
                smape[k] = ForecastAccuracy.Smape(series[k].Test, forecast.Point);
                mase[k] = ForecastAccuracy.Mase(series[k].Train, series[k].Test, forecast.Point, maseLag);
            });
            var seconds = watch.Elapsed.TotalSeconds / series.Count;
            if (method == ForecastMethod.Naive2)
            {
                (naive2Smape, naive2Mase) = (smape.Average(), mase.Average());
            }

            var owa = ForecastAccuracy.Owa(smape.Average(), mase.Average(), naive2Smape, naive2Mase);
            var reference = published.GetValueOrDefault(key);
            var label = method == ForecastMethod.Auto ? $"{subset} Auto (published: Smyl, M4 winner)" : $"{subset} {method}";
            Report.Row(label, "sMAPE", smape.Average(), reference?[column], seconds);
            Report.Row(label, "MASE", mase.Average(), reference?[column + 1], 0);
            Report.Row(label, "OWA", owa, reference?[column + 2], 0);
            if (method == ForecastMethod.Auto)
            {
                auto = owa;
            }
        }

        return auto;
    }

    /// <summary>Method id → sMAPE, MASE, OWA for Hourly then Weekly, from the derived M4 table.</summary>
    private static Dictionary<string, double[]> Published()
    {
        var table = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(DatasetLocator.Resolve("forecasting", "m4", "m4_published_accuracy_hourly_weekly.csv")).Skip(1))
        {
            // Quoted team names contain commas, so the numbers are taken from the end of the line.
            var fields = line.Split(',');
            var numbers = fields[^9..^3].Select(f => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
            table[fields[0]] = numbers;
        }

        return table;
    }
}
