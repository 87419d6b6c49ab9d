using Lattice.Contracts.Fraud;
using Lattice.Hosting;
using Lattice.Hosting.Typed;
using Lattice.ML.Anomaly;

namespace Lattice.Services.Fraud.Serving;

/// <summary>Transactions to score on the routed version.</summary>
/// <param name="Transactions">Validated transactions.</param>
/// <param name="Explain">Compute the top contributing features (TreeSHAP) or take the cheap score-only path.</param>
/// <param name="Threshold">The configured threshold, or null for the version's own.</param>
/// <param name="TopFeatures">Features listed per explained transaction.</param>
internal sealed record FraudScoring(IReadOnlyList<FraudTransaction> Transactions, bool Explain, double? Threshold, int TopFeatures);

/// <summary>What the fraud endpoints run on the routed version.</summary>
internal static class FraudOperations
{
    /// <summary>Scores every transaction; each prediction is recorded with its encoded features and the decision as label.</summary>
    public static ModelOperation<FraudModel, FraudScoring, FraudAssessment[]> Score { get; } = new(
        static (model, scoring) =>
        {
            var threshold = scoring.Threshold ?? model.DefaultThreshold;
            var results = new FraudAssessment[scoring.Transactions.Count];
            for (var i = 0; i < results.Length; i++)
            {
                var transaction = scoring.Transactions[i];
                if (scoring.Explain)
                {
                    results[i] = model.Assess(transaction, threshold, scoring.TopFeatures);
                }
                else
                {
                    var probability = model.Score(transaction).Probability;
                    results[i] = new FraudAssessment(probability, probability >= threshold, threshold, []);
                }
            }

            return results;
        },
        static (scoring, results, log) =>
        {
            for (var i = 0; i < results.Length; i++)
            {
                var features = new float[FraudSchema.EncodedWidth];
                FraudSchema.Encode(scoring.Transactions[i], features);
                log.Add(null, features, Decision(results[i]), (float)results[i].Probability);
            }
        });

    public static string Decision(FraudAssessment assessment) => assessment.IsFraud ? FraudDecisions.Fraud : FraudDecisions.Legitimate;

    /// <summary>The top features on the wire, or null when the transaction was not explained.</summary>
    public static IReadOnlyList<FraudFeatureContribution>? TopFeatures(FraudAssessment assessment, bool explained)
    {
        if (!explained)
        {
            return null;
        }

        var list = new FraudFeatureContribution[assessment.TopFeatures.Count];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = new FraudFeatureContribution(assessment.TopFeatures[i].Feature, assessment.TopFeatures[i].Contribution);
        }

        return list;
    }

    /// <summary>The model's transaction from the wire form, or why it is invalid (the schema's own rules).</summary>
    public static RequestRefusal? ToTransaction(FraudTransactionData data, string where, ModelServerLimitsOptions limits, out FraudTransaction transaction)
    {
        transaction = new FraudTransaction(
            data.Amount, data.Currency, data.MerchantCategory, data.Country, data.HomeCountry, data.Hour, data.CardAgeDays,
            data.TransactionsLast24Hours, data.DistanceFromHomeKm, data.CardPresent, data.AverageAmount30Days);
        if (data.MerchantCategory.Length > limits.MaxTextLength)
        {
            return RequestRefusal.Limit($"{where}merchantCategory is longer than {limits.MaxTextLength} characters (limit MaxTextLength).");
        }

        return FraudSchema.Validate(transaction) is { } error ? RequestRefusal.Invalid(where + error) : null;
    }
}
