using Lattice.Contracts.Recommendation;
using Lattice.Hosting;
using Lattice.Hosting.Typed;
using Lattice.ML.Recommendation;

namespace Lattice.Services.Recommender.Serving;

/// <summary>Top-k lists for each key: recommendations for users, or similar items for items.</summary>
/// <param name="Keys">User ids (recommendations) or item ids (similar items); unknown ones get the popularity fallback.</param>
/// <param name="SimilarItems">True for similar items.</param>
/// <param name="K">Items per list.</param>
internal sealed record RecommendationQuery(IReadOnlyList<string> Keys, bool SimilarItems, int K);

/// <summary>What the recommender's endpoints run on the routed version, shared by the typed API and the OIP contract.</summary>
internal static class RecommenderOperations
{
    /// <summary>One list per key; each prediction is recorded with the key as input and the top item as label.</summary>
    public static ModelOperation<RecommenderModel, RecommendationQuery, RecommendationResult[]> Lists { get; } = new(
        static (model, query) =>
        {
            var results = new RecommendationResult[query.Keys.Count];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = query.SimilarItems ? model.SimilarItems(query.Keys[i], query.K) : model.Recommend(query.Keys[i], query.K);
            }

            return results;
        },
        static (query, results, log) =>
        {
            for (var i = 0; i < results.Length; i++)
            {
                var items = results[i].Items;
                log.Add(query.Keys[i], items.Count > 0 ? items[0].Item : null, items.Count > 0 ? items[0].Score : 0f);
            }
        });

    /// <summary>A predicted rating; recorded with the source (model or fallback) as label.</summary>
    public static ModelOperation<RecommenderModel, RatingPredictionRequest, RatingPrediction> Rating { get; } = new(
        static (model, request) => model.PredictRating(request.User, request.Item),
        static (request, prediction, log) => log.Add(string.Concat(request.User, " / ", request.Item), SourceName(prediction.Source), prediction.Rating));

    public static string SourceName(RecommendationSource source) =>
        source == RecommendationSource.Model ? RecommendationSources.Model : RecommendationSources.Fallback;

    /// <summary>A user or item id must be a non-empty string within the text length limit.</summary>
    public static RequestRefusal? CheckId(string id, string what, ModelServerLimitsOptions limits)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return RequestRefusal.Invalid($"'{what}' must be a non-empty id.");
        }

        return id.Length > limits.MaxTextLength
            ? RequestRefusal.Limit($"'{what}' has {id.Length} characters; at most {limits.MaxTextLength} are allowed (limit MaxTextLength).")
            : null;
    }

    /// <summary>The k to use: the request's, within 1..MaxK, or the default.</summary>
    public static RequestRefusal? ResolveK(long? requested, RecommenderServiceOptions options, out int k)
    {
        k = options.DefaultK;
        if (requested is not { } value)
        {
            return null;
        }

        if (value < 1)
        {
            return RequestRefusal.Invalid($"'k' must be at least 1 (got {value}).");
        }

        if (value > options.MaxK)
        {
            return RequestRefusal.Limit($"'k' is {value}; at most {options.MaxK} items are returned (limit MaxK).");
        }

        k = (int)value;
        return null;
    }
}
