using System.Diagnostics;
using Lattice.ML.Datasets;
using Lattice.ML.Recommendation;

namespace Lattice.Bench.Tabular;

/// <summary>MovieLens 100K, the five official folds u1–u5: RMSE/MAE next to Surprise's README, and top-10 ranking quality.</summary>
internal static class RecommenderBench
{
    public static double Run()
    {
        Report.Header("Recommendation: MovieLens 100K, mean over official folds u1-u5 (Surprise: random 5-fold CV)");
        var folds = Enumerable.Range(1, 5).Select(k => (
            Train: MovieLens.ReadRatings(DatasetLocator.Resolve("recommendation", "ml-100k", $"u{k}.base")),
            Test: MovieLens.ReadRatings(DatasetLocator.Resolve("recommendation", "ml-100k", $"u{k}.test")))).ToArray();
        (string Name, RecommenderOptions Options, double Rmse, double Mae)[] runs =
        [
            ("BaselineOnly (ALS)", new RecommenderOptions { Algorithm = RecommenderAlgorithm.Baseline }, 0.944, 0.748),
            ("SVD (Surprise defaults)", RecommenderOptions.SurpriseSvd, 0.934, 0.737),
            ("SVD++ (Surprise defaults)", RecommenderOptions.SurpriseSvdPlusPlus, 0.919, 0.721),
            ("item k-NN baseline (pearson_baseline)", new RecommenderOptions { Algorithm = RecommenderAlgorithm.ItemKnnBaseline }, 0.931, 0.733),
            ("Lattice default: SVD++ / item k-NN blend", new RecommenderOptions(), 0.919, 0.721),
        ];
        var defaultRmse = 0.0;
        foreach (var (name, options, publishedRmse, publishedMae) in runs)
        {
            double rmse = 0, mae = 0, seconds = 0;
            RankingQuality? ranking = null;
            double precision = 0, recall = 0, ndcg = 0;
            foreach (var (train, test) in folds)
            {
                var watch = Stopwatch.StartNew();
                var model = RecommenderTrainer.Train(train, options);
                seconds += watch.Elapsed.TotalSeconds;
                var errors = RecommenderEvaluation.Errors(model, test);
                rmse += errors.Rmse / folds.Length;
                mae += errors.Mae / folds.Length;
                if (options.Algorithm == RecommenderAlgorithm.Blend)
                {
                    ranking = RecommenderEvaluation.Ranking(model, test, 10);
                    precision += ranking.Precision / folds.Length;
                    recall += ranking.Recall / folds.Length;
                    ndcg += ranking.Ndcg / folds.Length;
                }
            }

            Report.Row(name, "RMSE", rmse, publishedRmse, seconds / folds.Length);
            Report.Row(name, "MAE", mae, publishedMae, 0);
            if (ranking is not null)
            {
                defaultRmse = rmse;
                Report.Row(name, "P@10", precision, null, 0);
                Report.Row(name, "R@10", recall, null, 0);
                Report.Row(name, "NDCG@10", ndcg, null, 0);
                Report.Note("ranking: all unrated items ranked per test user; relevant = held-out rating >= 4; no published figure");
            }
        }

        Report.Note("published: Surprise README (random 5-fold CV of u.data); its k-NN Baseline is user-based MSD; the blend is compared with SVD++; time = training per fold");
        return defaultRmse;
    }
}
