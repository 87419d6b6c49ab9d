using Lattice.Contracts;
using Lattice.Contracts.Recommendation;
using Lattice.Hosting.Typed;
using Lattice.ML.Recommendation;
using Lattice.Services.Recommender.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using static Lattice.Services.Recommender.Extensions.RecommenderServiceExtensions;

namespace Lattice.Services.Recommender.Apis;

/// <summary>
/// <c>POST /v1/recommendations</c>, <c>POST /v1/similar-items</c> and <c>POST /v1/ratings:predict</c>, plus the Open
/// Inference Protocol contract of the recommender. Unknown users and items are answered, not refused: the popularity
/// (or bias) fallback, marked <c>"source": "fallback"</c>.
/// </summary>
public static class RecommenderApi
{
    public static IEndpointRouteBuilder MapRecommenderApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Resolved once: handlers that asked DI per request would create a service scope each time.
        var model = endpoints.ServiceProvider.GetTypedModel<RecommenderModel>(ModelName);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<RecommenderServiceOptions>>().Value;
        var group = endpoints.MapGroup("/v1").WithTags(ModelName);
        group.MapPost("/recommendations", (HttpContext context, CancellationToken cancellationToken) => RecommendAsync(model, options, context, cancellationToken))
            .Accepts<RecommendationRequest>("application/json")
            .ProducesModelProblems()
            .WithName("Recommend")
            .WithSummary("The k best items for a user that the user has not rated (popular items for an unknown user)");
        group.MapPost("/similar-items", (HttpContext context, CancellationToken cancellationToken) => SimilarItemsAsync(model, options, context, cancellationToken))
            .Accepts<SimilarItemsRequest>("application/json")
            .ProducesModelProblems()
            .WithName("SimilarItems")
            .WithSummary("The k items most similar to an item (popular items for an unknown item)");
        group.MapPost("/ratings:predict", (HttpContext context, CancellationToken cancellationToken) => PredictRatingAsync(model, context, cancellationToken))
            .Accepts<RatingPredictionRequest>("application/json")
            .ProducesModelProblems()
            .WithName("PredictRating")
            .WithSummary("The rating a user would give an item (global mean plus known biases when either is unknown)");
        endpoints.MapTensorInference(model, new RecommenderTensorContract(options));
        return endpoints;
    }

    internal static async Task<Results<Ok<RecommendationResponse>, ProblemHttpResult>> RecommendAsync(
        TypedModel<RecommenderModel> model, RecommenderServiceOptions options, HttpContext context, CancellationToken cancellationToken)
    {
        var body = await model.ReadJsonAsync(context, TabularContractsJsonContext.Default.RecommendationRequest, cancellationToken);
        if (body.Failed)
        {
            return body.Problem;
        }

        var request = body.Value;
        var (problem, result, version) = await ListAsync(model, options, context, request.User, "user", request.K, similarItems: false, cancellationToken);
        return problem ?? (Results<Ok<RecommendationResponse>, ProblemHttpResult>)TypedResults.Ok(new RecommendationResponse
        {
            User = request.User,
            Items = Items(result!),
            Source = RecommenderOperations.SourceName(result!.Source),
            Model = model.Name,
            Version = version!,
            Id = context.ResolveRequestId(request.Id),
        });
    }

    internal static async Task<Results<Ok<SimilarItemsResponse>, ProblemHttpResult>> SimilarItemsAsync(
        TypedModel<RecommenderModel> model, RecommenderServiceOptions options, HttpContext context, CancellationToken cancellationToken)
    {
        var body = await model.ReadJsonAsync(context, TabularContractsJsonContext.Default.SimilarItemsRequest, cancellationToken);
        if (body.Failed)
        {
            return body.Problem;
        }

        var request = body.Value;
        var (problem, result, version) = await ListAsync(model, options, context, request.Item, "item", request.K, similarItems: true, cancellationToken);
        return problem ?? (Results<Ok<SimilarItemsResponse>, ProblemHttpResult>)TypedResults.Ok(new SimilarItemsResponse
        {
            Item = request.Item,
            Items = Items(result!),
            Source = RecommenderOperations.SourceName(result!.Source),
            Model = model.Name,
            Version = version!,
            Id = context.ResolveRequestId(request.Id),
        });
    }

    /// <summary>Checks the key and k, then computes one list on the routed version: the list and its version, or the problem.</summary>
    private static async Task<(ProblemHttpResult? Problem, RecommendationResult? Result, string? Version)> ListAsync(
        TypedModel<RecommenderModel> model, RecommenderServiceOptions options, HttpContext context, string key, string what, int? k, bool similarItems,
        CancellationToken cancellationToken)
    {
        var refusal = RecommenderOperations.CheckId(key, what, model.Limits);
        var resolved = options.DefaultK;
        refusal ??= RecommenderOperations.ResolveK(k, options, out resolved);
        if (refusal is { } invalid)
        {
            return (model.Refuse(invalid), null, null);
        }

        var call = await model.InvokeAsync(context, new RecommendationQuery([key], similarItems, resolved), RecommenderOperations.Lists, 1, cancellationToken);
        return call.IsOk ? (null, call.Value[0], call.Version) : (call.ToProblem(), null, null);
    }

    internal static async Task<Results<Ok<RatingPredictionResponse>, ProblemHttpResult>> PredictRatingAsync(
        TypedModel<RecommenderModel> model, HttpContext context, CancellationToken cancellationToken)
    {
        var body = await model.ReadJsonAsync(context, TabularContractsJsonContext.Default.RatingPredictionRequest, cancellationToken);
        if (body.Failed)
        {
            return body.Problem;
        }

        var request = body.Value;

        if ((RecommenderOperations.CheckId(request.User, "user", model.Limits) ?? RecommenderOperations.CheckId(request.Item, "item", model.Limits)) is { } badId)
        {
            return model.Refuse(badId);
        }

        var call = await model.InvokeAsync(context, request, RecommenderOperations.Rating, 1, cancellationToken);
        if (!call.IsOk)
        {
            return call.ToProblem();
        }

        var prediction = call.Value;
        return TypedResults.Ok(new RatingPredictionResponse
        {
            User = request.User,
            Item = request.Item,
            Rating = prediction.Rating,
            Source = RecommenderOperations.SourceName(prediction.Source),
            KnownUser = prediction.KnownUser,
            KnownItem = prediction.KnownItem,
            Model = model.Name,
            Version = call.Version,
            Id = context.ResolveRequestId(request.Id),
        });
    }

    private static RecommendedItem[] Items(RecommendationResult result)
    {
        var items = new RecommendedItem[result.Items.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new RecommendedItem(result.Items[i].Item, result.Items[i].Score);
        }

        return items;
    }
}
