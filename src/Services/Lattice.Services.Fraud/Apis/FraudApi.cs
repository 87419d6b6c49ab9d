using Lattice.Contracts;
using Lattice.Contracts.Fraud;
using Lattice.Hosting.Typed;
using Lattice.ML.Anomaly;
using Lattice.Services.Fraud.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using static Lattice.Services.Fraud.Extensions.FraudServiceExtensions;

namespace Lattice.Services.Fraud.Apis;

/// <summary>
/// <c>POST /v1/fraud:score</c> (one transaction) and <c>POST /v1/fraud:batchScore</c> (several, one version scores them
/// all). With <c>"explain": false</c> the top features are not computed and the cheaper score-only path runs.
/// The Open Inference Protocol serves the model as a numeric one: encoded rows in, probabilities out.
/// </summary>
public static class FraudApi
{
    public static IEndpointRouteBuilder MapFraudApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Resolved once: handlers that asked DI per request would create a service scope each time.
        var model = endpoints.ServiceProvider.GetTypedModel<FraudModel>(ModelName);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<FraudServiceOptions>>().Value;
        var group = endpoints.MapGroup("/v1").WithTags(ModelName);
        group.MapPost("/fraud:score", (HttpContext context, CancellationToken cancellationToken) => ScoreAsync(model, options, context, cancellationToken))
            .Accepts<FraudScoreRequest>("application/json")
            .ProducesModelProblems()
            .WithName("ScoreTransaction")
            .WithSummary("Fraud score of one transaction, the decision at the threshold and the top contributing features");
        group.MapPost("/fraud:batchScore", (HttpContext context, CancellationToken cancellationToken) => BatchScoreAsync(model, options, context, cancellationToken))
            .Accepts<FraudBatchScoreRequest>("application/json")
            .ProducesModelProblems()
            .WithName("ScoreTransactions")
            .WithSummary("Fraud scores of several transactions (one version scores them all)");
        return endpoints;
    }

    internal static async Task<Results<Ok<FraudScoreResponse>, ProblemHttpResult>> ScoreAsync(
        TypedModel<FraudModel> model, FraudServiceOptions options, HttpContext context, CancellationToken cancellationToken)
    {
        var body = await model.ReadJsonAsync(context, TabularContractsJsonContext.Default.FraudScoreRequest, cancellationToken);
        if (body.Failed)
        {
            return body.Problem;
        }

        var request = body.Value;

        if (FraudOperations.ToTransaction(request, string.Empty, model.Limits, out var transaction) is { } invalid)
        {
            return model.Refuse(invalid);
        }

        var explain = request.Explain ?? true;
        var scoring = new FraudScoring([transaction], explain, options.DecisionThreshold, options.TopFeatures);
        var call = await model.InvokeAsync(context, scoring, FraudOperations.Score, 1, cancellationToken);
        if (!call.IsOk)
        {
            return call.ToProblem();
        }

        var assessment = call.Value[0];
        return TypedResults.Ok(new FraudScoreResponse
        {
            Score = assessment.Probability,
            Decision = FraudOperations.Decision(assessment),
            Threshold = assessment.Threshold,
            TopFeatures = FraudOperations.TopFeatures(assessment, explain),
            Model = model.Name,
            Version = call.Version,
            Id = context.ResolveRequestId(request.Id),
        });
    }

    internal static async Task<Results<Ok<FraudBatchScoreResponse>, ProblemHttpResult>> BatchScoreAsync(
        TypedModel<FraudModel> model, FraudServiceOptions options, HttpContext context, CancellationToken cancellationToken)
    {
        var body = await model.ReadJsonAsync(context, TabularContractsJsonContext.Default.FraudBatchScoreRequest, cancellationToken);
        if (body.Failed)
        {
            return body.Problem;
        }

        var request = body.Value;

        var data = request.Transactions;
        if (data.Count == 0)
        {
            return model.Refuse(RequestRefusal.Invalid("'transactions' must hold at least one transaction."));
        }

        if (data.Count > model.Limits.MaxBatchSize)
        {
            return model.Refuse(RequestRefusal.Limit($"'transactions' holds {data.Count} transactions; at most {model.Limits.MaxBatchSize} are allowed (limit MaxBatchSize)."));
        }

        var transactions = new FraudTransaction[data.Count];
        for (var i = 0; i < transactions.Length; i++)
        {
            // A null element passes the deserializer (the list's element nullability is not checked).
            if (data[i] is null)
            {
                return model.Refuse(RequestRefusal.Invalid($"transactions[{i}] must be a transaction object."));
            }

            if (FraudOperations.ToTransaction(data[i], $"transactions[{i}]: ", model.Limits, out transactions[i]) is { } invalid)
            {
                return model.Refuse(invalid);
            }
        }

        var explain = request.Explain ?? true;
        var scoring = new FraudScoring(transactions, explain, options.DecisionThreshold, options.TopFeatures);
        var call = await model.InvokeAsync(context, scoring, FraudOperations.Score, transactions.Length, cancellationToken);
        if (!call.IsOk)
        {
            return call.ToProblem();
        }

        var results = new FraudScoreResult[call.Value.Length];
        for (var i = 0; i < results.Length; i++)
        {
            var assessment = call.Value[i];
            results[i] = new FraudScoreResult
            {
                Score = assessment.Probability,
                Decision = FraudOperations.Decision(assessment),
                Threshold = assessment.Threshold,
                TopFeatures = FraudOperations.TopFeatures(assessment, explain),
            };
        }

        return TypedResults.Ok(new FraudBatchScoreResponse
        {
            Results = results,
            Model = model.Name,
            Version = call.Version,
            Id = context.ResolveRequestId(request.Id),
        });
    }
}
