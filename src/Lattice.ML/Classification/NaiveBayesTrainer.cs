namespace Lattice.ML.Classification;

/// <summary>Trains multinomial naive Bayes; its log-probabilities form a <see cref="SparseLinearModel"/>.</summary>
internal static class NaiveBayesTrainer
{
    public static SparseLinearModel Train(SparseDataset data, NaiveBayesOptions options)
    {
        options.Validate();
        var classes = data.ClassCount;
        var features = data.FeatureCount;
        var totals = new double[classes];
        var documents = new int[classes];

        // Count (feature, class) pairs row by row: group examples' entries by feature first.
        var perRow = new Dictionary<int, double>[features];
        for (var i = 0; i < data.Count; i++)
        {
            var label = data.Labels[i];
            documents[label]++;
            var rows = data.RowsOf(i);
            var values = data.ValuesOf(i);
            for (var j = 0; j < rows.Length; j++)
            {
                var counts = perRow[rows[j]] ??= [];
                counts[label] = counts.GetValueOrDefault(label) + values[j];
                totals[label] += values[j];
            }
        }

        // log P(f|c) = log(count + α) − log(total_c + α·F) = base_c + [log(count + α) − log α] for seen pairs.
        var alpha = (double)options.Alpha;
        var classBase = new float[classes];
        for (var c = 0; c < classes; c++)
        {
            classBase[c] = (float)(Math.Log(alpha) - Math.Log(totals[c] + (alpha * features)));
        }

        var rowStart = new int[features + 1];
        var classIds = new List<ushort>();
        var deltas = new List<float>();
        for (var r = 0; r < features; r++)
        {
            if (perRow[r] is { } counts)
            {
                foreach (var (c, count) in counts.OrderBy(p => p.Key))
                {
                    classIds.Add((ushort)c);
                    deltas.Add((float)(Math.Log(count + alpha) - Math.Log(alpha)));
                }
            }

            rowStart[r + 1] = classIds.Count;
        }

        var bias = new float[classes];
        if (!options.UniformPrior)
        {
            for (var c = 0; c < classes; c++)
            {
                bias[c] = (float)Math.Log((documents[c] + 1.0) / (data.Count + classes));
            }
        }

        return new SparseLinearModel(rowStart, [.. classIds], [.. deltas], classBase, bias, 1f);
    }
}
