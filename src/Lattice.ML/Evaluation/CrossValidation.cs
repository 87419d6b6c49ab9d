namespace Lattice.ML.Evaluation;

/// <summary>k-fold cross-validation: deterministic shuffled folds and a summary of per-fold reports.</summary>
public static class CrossValidation
{
    /// <summary>Splits <paramref name="count"/> example indices into <paramref name="folds"/> train/test pairs.</summary>
    public static IReadOnlyList<(int[] Train, int[] Test)> KFold(int count, int folds, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, folds);
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        var result = new List<(int[], int[])>(folds);
        for (var f = 0; f < folds; f++)
        {
            var start = (int)((long)count * f / folds);
            var end = (int)((long)count * (f + 1) / folds);
            result.Add((order[..start].Concat(order[end..]).ToArray(), order[start..end]));
        }

        return result;
    }

    /// <summary>Runs <paramref name="evaluateFold"/> on every fold (train items, test items) and summarises.</summary>
    public static CrossValidationReport Run<T>(IReadOnlyList<T> data, int folds, int seed, Func<IReadOnlyList<T>, IReadOnlyList<T>, ClassificationReport> evaluateFold)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(evaluateFold);
        var reports = new List<ClassificationReport>(folds);
        foreach (var (train, test) in KFold(data.Count, folds, seed))
        {
            reports.Add(evaluateFold(train.Select(i => data[i]).ToList(), test.Select(i => data[i]).ToList()));
        }

        return CrossValidationReport.From(reports);
    }
}

/// <summary>Per-fold reports of a cross-validation with the mean and standard deviation of the headline figures.</summary>
public sealed record CrossValidationReport(
    IReadOnlyList<ClassificationReport> Folds,
    double MeanAccuracy,
    double AccuracyStandardDeviation,
    double MeanMacroF1)
{
    public static CrossValidationReport From(IReadOnlyList<ClassificationReport> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        ArgumentOutOfRangeException.ThrowIfZero(folds.Count);
        var mean = folds.Average(r => r.Accuracy);
        var variance = folds.Sum(r => (r.Accuracy - mean) * (r.Accuracy - mean)) / folds.Count;
        return new CrossValidationReport(folds, mean, Math.Sqrt(variance), folds.Average(r => r.MacroF1));
    }
}
