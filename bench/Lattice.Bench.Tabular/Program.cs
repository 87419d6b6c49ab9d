using System.Diagnostics;
using System.Globalization;
using Lattice.ML.Recommendation;
using Lattice.ML.Tabular;

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
            var train = MovieLens.ReadRatings(TabularDatasets.File("recommendation", "ml-100k", $"u{fold}.base"));
            var test = MovieLens.ReadRatings(TabularDatasets.File("recommendation", "ml-100k", $"u{fold}.test"));
            var sw = Stopwatch.StartNew();
            var model = RecommenderTrainer.Train(train, options);
            var trainTime = sw.Elapsed.TotalSeconds;
            var errors = RecommenderEvaluation.Errors(model, test);
            Console.WriteLine($"{algo} u{fold}: RMSE {errors.Rmse:F4} MAE {errors.Mae:F4} train {trainTime:F1}s");
        }
    }
}
