using System.Globalization;
using Lattice.ML.ModelFiles;
using Lattice.ML.Tabular;

namespace Lattice.ML.Anomaly;

/// <summary>A fraud probability and its log-odds.</summary>
public readonly record struct FraudScore(double Probability, double LogOdds);

/// <summary>How much one schema feature pushed the score (log-odds; positive = towards fraud).</summary>
public readonly record struct FeatureContribution(string Feature, double Contribution);

/// <summary>A scored transaction: probability, decision at a threshold and the features that drove it.</summary>
public sealed record FraudAssessment(double Probability, bool IsFraud, double Threshold, IReadOnlyList<FeatureContribution> TopFeatures);

/// <summary>
/// Transaction fraud scoring: <see cref="FraudSchema"/> encoding in front of gradient-boosted trees, with a default
/// decision threshold and per-prediction feature contributions. Immutable and thread-safe.
/// </summary>
public sealed class FraudModel
{
    /// <summary>The model file's <c>task</c>.</summary>
    public const string TaskName = "fraud-scoring";

    private const string ThresholdProperty = "decisionThreshold";

    internal FraudModel(GradientBoostedTrees trees, double threshold)
    {
        if (trees.Columns != FraudSchema.EncodedWidth)
        {
            throw new ArgumentException($"Fraud trees must take {FraudSchema.EncodedWidth} inputs, not {trees.Columns}.", nameof(trees));
        }

        Trees = trees;
        DefaultThreshold = threshold;
    }

    /// <summary>Probability at or above which a transaction is called fraud unless the caller gives another threshold.</summary>
    public double DefaultThreshold { get; }

    /// <summary>Schema-level feature names, the order of the contributions span.</summary>
    public static IReadOnlyList<string> FeatureNames => FraudSchema.FeatureNames;

    internal GradientBoostedTrees Trees { get; }

    /// <summary>Trains on labelled transactions; <paramref name="threshold"/> defaults to the F1-best threshold on a stratified validation slice.</summary>
    public static FraudModel Train(IReadOnlyList<LabeledTransaction> examples, GradientBoostingOptions? options = null, double? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new GradientBoostingOptions();
        var data = Encode(examples);
        var random = new Random(options.Seed);
        var (trainRows, validRows) = GradientBoostedTrees.StratifiedSplit(data.Labels, 0.2, random);
        var train = data.Subset(trainRows);
        var valid = data.Subset(validRows);
        var trees = GradientBoostedTrees.Train(train, options, valid);
        return new FraudModel(trees, threshold ?? BestF1Threshold(trees.PredictAll(valid), valid.Labels));
    }

    /// <summary>Encodes labelled transactions into a table (invalid transactions throw).</summary>
    public static TabularDataset Encode(IReadOnlyList<LabeledTransaction> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var width = FraudSchema.EncodedWidth;
        var features = new float[examples.Count * width];
        var labels = new bool[examples.Count];
        for (var n = 0; n < examples.Count; n++)
        {
            var error = FraudSchema.Validate(examples[n].Transaction);
            if (error is not null)
            {
                throw new ArgumentException($"Example {n}: {error}", nameof(examples));
            }

            FraudSchema.Encode(examples[n].Transaction, features.AsSpan(n * width, width));
            labels[n] = examples[n].IsFraud;
        }

        return new TabularDataset(features, width, labels);
    }

    /// <summary>Scores a transaction without explaining it (the cheap path for bulk scoring). Throws <see cref="ArgumentException"/> for an invalid transaction.</summary>
    public FraudScore Score(FraudTransaction transaction)
    {
        Span<float> encoded = stackalloc float[FraudSchema.EncodedWidth];
        EncodeValid(transaction, encoded);
        var logOdds = Trees.RawScore(encoded);
        return new FraudScore(GradientBoostedTrees.Sigmoid(logOdds), logOdds);
    }

    /// <summary>
    /// Scores a transaction and writes each schema feature's contribution (log-odds, in <see cref="FeatureNames"/>
    /// order) into <paramref name="contributions"/>. Throws <see cref="ArgumentException"/> for an invalid transaction.
    /// </summary>
    public FraudScore Score(FraudTransaction transaction, Span<double> contributions)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (contributions.Length != FeatureNames.Count)
        {
            throw new ArgumentException($"Contributions span must have {FeatureNames.Count} entries.", nameof(contributions));
        }

        Span<float> encoded = stackalloc float[FraudSchema.EncodedWidth];
        Span<double> perColumn = stackalloc double[FraudSchema.EncodedWidth];
        EncodeValid(transaction, encoded);
        var logOdds = Trees.Explain(encoded, perColumn);
        contributions.Clear();
        for (var c = 0; c < perColumn.Length; c++)
        {
            contributions[FraudSchema.EncodedToFeature[c]] += perColumn[c];
        }

        return new FraudScore(GradientBoostedTrees.Sigmoid(logOdds), logOdds);
    }

    /// <summary>Scores a transaction, decides at <paramref name="threshold"/> (default <see cref="DefaultThreshold"/>) and lists the top features by |contribution|.</summary>
    public FraudAssessment Assess(FraudTransaction transaction, double? threshold = null, int topFeatures = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(topFeatures);
        var cut = threshold ?? DefaultThreshold;
        if (!(cut >= 0 && cut <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), "Threshold must be between 0 and 1.");
        }

        Span<double> contributions = stackalloc double[FeatureNames.Count];
        var score = Score(transaction, contributions);
        var top = new List<FeatureContribution>(FeatureNames.Count);
        for (var f = 0; f < contributions.Length; f++)
        {
            top.Add(new FeatureContribution(FeatureNames[f], contributions[f]));
        }

        top.Sort((a, b) => Math.Abs(b.Contribution).CompareTo(Math.Abs(a.Contribution)));
        return new FraudAssessment(score.Probability, score.Probability >= cut, cut, top[..Math.Min(topFeatures, top.Count)]);
    }

    /// <summary>Builds the model file (the trees plus the decision threshold in the properties).</summary>
    public ModelFileWriter ToModelFile(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var properties = new Dictionary<string, string>(metadata.Properties, StringComparer.Ordinal)
        {
            [ThresholdProperty] = DefaultThreshold.ToString("R", CultureInfo.InvariantCulture),
            ["schema"] = string.Join(",", FeatureNames),
        };
        return Trees.ToModelFile(metadata with { Task = TaskName, Properties = properties });
    }

    /// <summary>Loads a fraud model; throws <see cref="ModelFileException"/> when the file is not one.</summary>
    public static FraudModel FromModelFile(ModelFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        TabularModelFile.Require(file, file.Metadata.Task == TaskName, $"task is '{file.Metadata.Task}', not '{TaskName}'");
        var trees = GradientBoostedTrees.FromModelFile(file);
        TabularModelFile.Require(file, trees.Columns == FraudSchema.EncodedWidth, "the trees do not match the transaction schema");
        TabularModelFile.Require(
            file, file.Metadata.Properties.TryGetValue(ThresholdProperty, out var text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold) && threshold is >= 0 and <= 1,
            "the decision threshold is missing or out of range");
        return new FraudModel(trees, double.Parse(text!, CultureInfo.InvariantCulture));
    }

    private static void EncodeValid(FraudTransaction transaction, Span<float> encoded)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var error = FraudSchema.Validate(transaction);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(transaction));
        }

        FraudSchema.Encode(transaction, encoded);
    }

    /// <summary>The score cut with the best F1 on labelled scores.</summary>
    internal static double BestF1Threshold(double[] scores, bool[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        var positives = labels.Count(l => l);
        double bestF1 = -1, best = 0.5;
        var truePositives = 0;
        for (var n = 0; n < order.Length; n++)
        {
            truePositives += labels[order[n]] ? 1 : 0;
            if (n + 1 < order.Length && scores[order[n + 1]] == scores[order[n]])
            {
                continue;
            }

            var f1 = 2.0 * truePositives / (n + 1 + positives);
            if (f1 > bestF1)
            {
                bestF1 = f1;
                best = scores[order[n]];
            }
        }

        return best;
    }
}
