namespace Lattice.ML.Anomaly;

/// <summary>Ranking metrics of scores against binary labels (higher score = more likely positive).</summary>
public static class BinaryClassificationMetrics
{
    /// <summary>Area under the ROC curve (Mann–Whitney U, ties count one half). NaN when one class is absent.</summary>
    public static double RocAuc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        Check(scores, labels);
        var order = Order(scores);
        double positives = 0, rankSum = 0;
        var n = 0;
        while (n < order.Length)
        {
            // Tied scores share the average of their ranks.
            var end = n;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[n]])
            {
                end++;
            }

            var averageRank = ((n + end) / 2.0) + 1;
            for (var m = n; m <= end; m++)
            {
                if (labels[order[m]])
                {
                    positives++;
                    rankSum += averageRank;
                }
            }

            n = end + 1;
        }

        var negatives = labels.Length - positives;
        return positives == 0 || negatives == 0 ? double.NaN : (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>Area under the precision-recall curve as average precision (Σ ΔRecall × Precision over distinct thresholds, as scikit-learn).</summary>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        Check(scores, labels);
        var order = Order(scores);
        double totalPositives = 0;
        foreach (var label in labels)
        {
            totalPositives += label ? 1 : 0;
        }

        if (totalPositives == 0)
        {
            return double.NaN;
        }

        double truePositives = 0, previousRecall = 0, ap = 0;
        var n = order.Length - 1;
        while (n >= 0)
        {
            // Descending scores; a group of ties is one threshold.
            var start = n;
            while (start - 1 >= 0 && scores[order[start - 1]] == scores[order[n]])
            {
                start--;
            }

            for (var m = start; m <= n; m++)
            {
                truePositives += labels[order[m]] ? 1 : 0;
            }

            var predicted = order.Length - start;
            var recall = truePositives / totalPositives;
            ap += (recall - previousRecall) * (truePositives / predicted);
            previousRecall = recall;
            n = start - 1;
        }

        return ap;
    }

    private static int[] Order(ReadOnlySpan<double> scores)
    {
        var order = new int[scores.Length];
        var keys = scores.ToArray();
        for (var n = 0; n < order.Length; n++)
        {
            order[n] = n;
        }

        Array.Sort(keys, order);
        return order;
    }

    private static void Check(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException($"{scores.Length} scores but {labels.Length} labels.", nameof(labels));
        }

        foreach (var score in scores)
        {
            if (double.IsNaN(score))
            {
                throw new ArgumentException("Scores contain NaN.", nameof(scores));
            }
        }
    }
}
