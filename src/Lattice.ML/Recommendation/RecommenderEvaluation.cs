namespace Lattice.ML.Recommendation;

/// <summary>Rating-prediction errors of a recommender on held-out ratings.</summary>
public sealed record RatingErrors(double Rmse, double Mae, int Count);

/// <summary>Top-N quality averaged over the users that have at least one relevant held-out item.</summary>
public sealed record RankingQuality(double Precision, double Recall, double Ndcg, int Users);

/// <summary>Evaluation of recommenders: RMSE/MAE of predicted ratings and precision/recall/NDCG at k of top-N lists.</summary>
public static class RecommenderEvaluation
{
    /// <summary>RMSE and MAE over <paramref name="test"/> (unknown users or items are predicted by the fallback, as in serving).</summary>
    public static RatingErrors Errors(RecommenderModel model, IReadOnlyList<Rating> test)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        double squared = 0, absolute = 0;
        foreach (var rating in test)
        {
            var error = model.PredictRating(rating.User, rating.Item).Rating - rating.Value;
            squared += error * error;
            absolute += Math.Abs(error);
        }

        return test.Count == 0 ? new RatingErrors(0, 0, 0) : new RatingErrors(Math.Sqrt(squared / test.Count), absolute / test.Count, test.Count);
    }

    /// <summary>
    /// Ranks every item the user did not rate in training; relevant items are the user's held-out items rated
    /// at least <paramref name="relevanceThreshold"/>. Binary gains for NDCG.
    /// </summary>
    public static RankingQuality Ranking(RecommenderModel model, IReadOnlyList<Rating> test, int k = 10, float relevanceThreshold = 4f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var relevant = test.Where(r => r.Value >= relevanceThreshold)
            .GroupBy(r => r.User, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Item).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        double precision = 0, recall = 0, ndcg = 0;
        var users = 0;
        var buffer = new ScoredItem[k];
        foreach (var (user, items) in relevant)
        {
            var count = model.Recommend(user, buffer, out _);
            var hits = 0;
            double dcg = 0;
            for (var rank = 0; rank < count; rank++)
            {
                if (items.Contains(buffer[rank].Item))
                {
                    hits++;
                    dcg += 1 / Math.Log2(rank + 2);
                }
            }

            double ideal = 0;
            for (var rank = 0; rank < Math.Min(k, items.Count); rank++)
            {
                ideal += 1 / Math.Log2(rank + 2);
            }

            precision += (double)hits / k;
            recall += (double)hits / items.Count;
            ndcg += dcg / ideal;
            users++;
        }

        return users == 0 ? new RankingQuality(0, 0, 0, 0) : new RankingQuality(precision / users, recall / users, ndcg / users, users);
    }
}
