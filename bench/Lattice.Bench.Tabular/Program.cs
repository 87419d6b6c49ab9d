using System.Diagnostics;
using System.Globalization;
using Lattice.ML.Recommendation;
using Lattice.ML.Datasets;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var what = args.Length > 0 ? args[0] : "all";
if (what == "rec-exp")
{
    var folds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
    var algos = args.Length > 2 ? args[2].Split(',') : ["Baseline", "SvdPlusPlus", "ItemKnnBaseline", "Blend"];
    foreach (var algo in algos)
    {
        var options = algo switch
        {
            "SurpriseSvd" => RecommenderOptions.SurpriseSvd,
            "SurpriseSvdPlusPlus" => RecommenderOptions.SurpriseSvdPlusPlus,
            _ => new RecommenderOptions { Algorithm = Enum.Parse<RecommenderAlgorithm>(algo) },
        };
        for (var fold = 1; fold <= folds; fold++)
        {
            var train = MovieLens.ReadRatings(DatasetLocator.Resolve("recommendation", "ml-100k", $"u{fold}.base"));
            var test = MovieLens.ReadRatings(DatasetLocator.Resolve("recommendation", "ml-100k", $"u{fold}.test"));
            var sw = Stopwatch.StartNew();
            var model = RecommenderTrainer.Train(train, options);
            var trainTime = sw.Elapsed.TotalSeconds;
            var errors = RecommenderEvaluation.Errors(model, test);
            Console.WriteLine($"{algo} u{fold}: RMSE {errors.Rmse:F4} MAE {errors.Mae:F4} train {trainTime:F1}s");
        }
    }
}
else if (what == "odds-exp")
{
    var sets = args.Length > 1 ? args[1].Split(',') : [.. Lattice.ML.Anomaly.OddsDataset.Names];
    foreach (var name in sets)
    {
        var data = Lattice.ML.Anomaly.OddsDataset.Read(DatasetLocator.Resolve("anomaly", "odds", name + ".csv"));
        var sw = Stopwatch.StartNew();
        double aucSum = 0, apSum = 0;
        var Splits = int.Parse(Environment.GetEnvironmentVariable("SPLITS") ?? "10", CultureInfo.InvariantCulture); var offset = int.Parse(Environment.GetEnvironmentVariable("OFFSET") ?? "0", CultureInfo.InvariantCulture);
        for (var seed = offset; seed < offset + Splits; seed++)
        {
            var rng = new Random(seed);
            var order = Enumerable.Range(0, data.Rows).ToArray();
            rng.Shuffle(order);
            var cut = (int)(data.Rows * 0.6);
            var forest = Lattice.ML.Anomaly.IsolationForest.Train(data.Subset(order[..cut]), new() { Seed = seed });
            var test = data.Subset(order[cut..]);
            var scores = forest.ScoreAll(test);
            aucSum += Lattice.ML.Anomaly.BinaryClassificationMetrics.RocAuc(scores, test.Labels);
            apSum += Lattice.ML.Anomaly.BinaryClassificationMetrics.AveragePrecision(scores, test.Labels);
        }

        var iforestTime = sw.Elapsed.TotalSeconds;
        sw.Restart();
        double gAuc = 0, gAp = 0;
        var folds = 5;
        var foldOf = new int[data.Rows];
        var frng = new Random(7);
        foreach (var cls in new[] { false, true })
        {
            var rows = Enumerable.Range(0, data.Rows).Where(r => data.Labels[r] == cls).ToArray();
            frng.Shuffle(rows);
            for (var n = 0; n < rows.Length; n++)
            {
                foldOf[rows[n]] = n % folds;
            }
        }

        var trees = 0;
        for (var fold = 0; fold < folds; fold++)
        {
            var train = data.Subset(Enumerable.Range(0, data.Rows).Where(r => foldOf[r] != fold).ToArray());
            var test = data.Subset(Enumerable.Range(0, data.Rows).Where(r => foldOf[r] == fold).ToArray());
            var model = Lattice.ML.Anomaly.GradientBoostedTrees.Train(train, new() { Seed = fold });
            trees += model.TreeCount;
            var p = model.PredictAll(test);
            gAuc += Lattice.ML.Anomaly.BinaryClassificationMetrics.RocAuc(p, test.Labels);
            gAp += Lattice.ML.Anomaly.BinaryClassificationMetrics.AveragePrecision(p, test.Labels);
        }

        Console.WriteLine($"{name}: iForest ROC {aucSum / Splits:F4} PR {apSum / Splits:F4} ({iforestTime:F1}s) | GBT ROC {gAuc / folds:F4} PR {gAp / folds:F4} trees {trees / folds} ({sw.Elapsed.TotalSeconds:F1}s)");
    }
}
else if (what == "m4-exp")
{
    var subset = args[1];
    var methods = args[2].Split(',').Select(Enum.Parse<Lattice.ML.Forecasting.ForecastMethod>).ToArray();
    var limit = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : int.MaxValue;
    var series = Lattice.ML.Forecasting.M4Dataset.Read(DatasetLocator.Resolve("forecasting", "m4", $"{subset}-train.csv"), DatasetLocator.Resolve("forecasting", "m4", $"{subset}-test.csv")).Take(limit).ToArray();
    var hourly = subset == "Hourly";
    var baseOptions = hourly ? Lattice.ML.Forecasting.ForecastOptions.For(Lattice.ML.Forecasting.SeriesFrequency.Hourly) : Lattice.ML.Forecasting.ForecastOptions.For(Lattice.ML.Forecasting.SeriesFrequency.Weekly);
    var m = hourly ? 24 : 1;
    double Score(Lattice.ML.Forecasting.ForecastMethod method, out double smape, out double mase, out double secs)
    {
        var sw = Stopwatch.StartNew();
        var s = new double[series.Length];
        var ma = new double[series.Length];
        Parallel.For(0, series.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
        {
            var f = Lattice.ML.Forecasting.Forecaster.Forecast(series[k].Train, series[k].Test.Length, baseOptions with { Method = method });
            s[k] = Lattice.ML.Forecasting.ForecastAccuracy.Smape(series[k].Test, f.Point);
            ma[k] = Lattice.ML.Forecasting.ForecastAccuracy.Mase(series[k].Train, series[k].Test, f.Point, m);
        });
        smape = s.Average();
        mase = ma.Average();
        secs = sw.Elapsed.TotalSeconds;
        return 0;
    }

    Score(Lattice.ML.Forecasting.ForecastMethod.Naive2, out var n2s, out var n2m, out _);
    Console.WriteLine($"Naive2 sMAPE {n2s:F3} MASE {n2m:F3}");
    foreach (var method in methods)
    {
        Score(method, out var s, out var ma, out var secs);
        Console.WriteLine($"{method}: sMAPE {s:F3} MASE {ma:F3} OWA {Lattice.ML.Forecasting.ForecastAccuracy.Owa(s, ma, n2s, n2m):F3} ({secs:F1}s)");
    }
}
else if (what == "lab")
{
    Lattice.Bench.Tabular.ForecastLab.Run(args[1], args[2].Split(','), args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : int.MaxValue);
}
