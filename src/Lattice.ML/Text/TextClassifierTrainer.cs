using System.Text.Json;
using Lattice.ML.Classification;
using Lattice.ML.Datasets;
using Lattice.ML.ModelFiles;

namespace Lattice.ML.Text;

/// <summary>Trains <see cref="TextClassifier"/>s: featurise, hold out a validation split, fit, calibrate, refit.</summary>
public static class TextClassifierTrainer
{
    /// <summary>Trains a classifier on <paramref name="train"/>; <paramref name="labels"/> fixes the output order.</summary>
    /// <param name="train">Training examples; every label must be in <paramref name="labels"/>.</param>
    /// <param name="labels">All labels, in output order.</param>
    /// <param name="options">Featuriser, learner and metadata settings.</param>
    /// <param name="dataDescription">Where the data came from, for the model metadata.</param>
    /// <param name="timeProvider">Clock for the creation time; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="validation">A separate validation set for early stopping and calibration; if null,
    /// <see cref="TextClassifierTrainingOptions.ValidationFraction"/> of <paramref name="train"/> is held out.</param>
    public static TextClassifierTrainingResult Train(
        IReadOnlyList<LabeledText> train,
        IReadOnlyList<string> labels,
        TextClassifierTrainingOptions options,
        string dataDescription = "",
        TimeProvider? timeProvider = null,
        IReadOnlyList<LabeledText>? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfZero(train.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(labels.Count, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(labels.Count, ushort.MaxValue);
        options.Validate();

        var labelIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            if (!labelIndex.TryAdd(labels[i], i))
            {
                throw new ArgumentException($"Label '{labels[i]}' is listed twice.", nameof(labels));
            }
        }

        var featurizer = new TextFeaturizer(options.Featurizer);
        var (space, data, fingerprint) = Featurize(train, labelIndex, featurizer, options);

        // Validation: early stopping and temperature calibration, from a given set or held out of train.
        SparseDataset? heldOut;
        SparseDataset fitPart;
        var refit = options.RefitOnAllData;
        if (validation is { Count: > 0 })
        {
            heldOut = Encode(validation, labelIndex, featurizer, space);
            fitPart = data;
            refit = false; // nothing was held out of the training data
        }
        else
        {
            var order = Enumerable.Range(0, data.Count).ToArray();
            new Random(options.Seed).Shuffle(order);
            var validationCount = (int)Math.Round(data.Count * options.ValidationFraction);
            heldOut = validationCount > 0 ? data.Subset(order.AsSpan(0, validationCount)) : null;
            fitPart = heldOut is null ? data : data.Subset(order.AsSpan(validationCount));
        }

        LinearModel model;
        var epochs = 0;
        IReadOnlyList<EpochResult> history = [];
        if (options.Algorithm == TextClassifierAlgorithm.SoftmaxRegression)
        {
            var result = SoftmaxRegressionTrainer.Train(fitPart, heldOut, options.SoftmaxRegression);
            model = result.Model;
            epochs = result.BestEpoch;
            history = result.History;
        }
        else
        {
            model = NaiveBayesTrainer.Train(fitPart, options.NaiveBayes);
        }

        var temperature = options.CalibrateTemperature && heldOut is not null ? TemperatureScaling.Fit(model, heldOut) : 1f;
        if (refit && heldOut is not null)
        {
            model = options.Algorithm == TextClassifierAlgorithm.SoftmaxRegression
                ? SoftmaxRegressionTrainer.Train(data, null, options.SoftmaxRegression, epochs).Model
                : NaiveBayesTrainer.Train(data, options.NaiveBayes);
        }

        model.Temperature = temperature;
        // Round now, so the in-memory model predicts exactly what the saved file will.
        model = model.WithPrecision(options.WeightPrecision);

        var settings = new TextTrainingSettings(
            AlgorithmName(options.Algorithm),
            options.Algorithm == TextClassifierAlgorithm.SoftmaxRegression ? options.SoftmaxRegression : null,
            options.Algorithm == TextClassifierAlgorithm.NaiveBayes ? options.NaiveBayes : null,
            validation is { Count: > 0 } ? 0 : options.ValidationFraction,
            refit,
            epochs,
            temperature,
            options.MinDocumentFrequency,
            options.Seed);
        var metadata = new ModelMetadata
        {
            Name = options.Name,
            Version = options.Version,
            Task = options.Task,
            Algorithm = settings.Algorithm,
            Labels = [.. labels],
            FeaturizerJson = TextFeaturizerOptionsJson.ToJson(options.Featurizer),
            HyperparametersJson = JsonSerializer.Serialize(settings, TextModelJsonContext.Default.TextTrainingSettings),
            TrainingData = new TrainingDataInfo(fingerprint, dataDescription, train.Count),
            Properties = new Dictionary<string, string> { ["library"] = $"Lattice.ML {typeof(TextClassifierTrainer).Assembly.GetName().Version}" },
            CreatedAt = (timeProvider ?? TimeProvider.System).GetUtcNow(),
        };

        var classifier = new TextClassifier(metadata, featurizer, space, model);
        return new TextClassifierTrainingResult(classifier, epochs, history.Select(h => new TrainingEpoch(h.Epoch, h.TrainLoss, h.ValidationLoss, h.ValidationAccuracy)).ToList());
    }

    internal static string AlgorithmName(TextClassifierAlgorithm algorithm) =>
        algorithm == TextClassifierAlgorithm.SoftmaxRegression ? TextClassifier.SoftmaxAlgorithm : TextClassifier.NaiveBayesAlgorithm;

    private static SparseDataset Encode(IReadOnlyList<LabeledText> examples, Dictionary<string, int> labelIndex, TextFeaturizer featurizer, FeatureSpace space)
    {
        var scratch = new FeatureScratch();
        var offsets = new int[examples.Count + 1];
        var labels = new int[examples.Count];
        var rows = new List<int>();
        var values = new List<float>();
        for (var i = 0; i < examples.Count; i++)
        {
            labels[i] = labelIndex.TryGetValue(examples[i].Label, out var id)
                ? id
                : throw new ArgumentException($"Validation example {i} has label '{examples[i].Label}', which is not in the label list.", nameof(examples));
            featurizer.Extract(examples[i].Text, scratch);
            space.Encode(scratch);
            rows.AddRange(scratch.Rows.AsSpan(0, scratch.Length));
            values.AddRange(scratch.Values.AsSpan(0, scratch.Length));
            offsets[i + 1] = rows.Count;
        }

        return new SparseDataset(offsets, [.. rows], [.. values], labels, space.RowCount, labelIndex.Count);
    }

    private static (FeatureSpace Space, SparseDataset Data, string Fingerprint) Featurize(
        IReadOnlyList<LabeledText> train, Dictionary<string, int> labelIndex, TextFeaturizer featurizer, TextClassifierTrainingOptions options)
    {
        var scratch = new FeatureScratch();
        var buckets = options.Featurizer.Buckets;
        var documentFrequency = new int[buckets];
        var bucketOffsets = new int[train.Count + 1];
        var bucketList = new List<int>(train.Count * 32);
        var labelIds = new int[train.Count];
        using var fingerprint = new DataFingerprint();

        // Pass 1: buckets of every text, and in how many texts each bucket occurs.
        for (var i = 0; i < train.Count; i++)
        {
            var example = train[i];
            labelIds[i] = labelIndex.TryGetValue(example.Label, out var id)
                ? id
                : throw new ArgumentException($"Example {i} has label '{example.Label}', which is not in the label list.", nameof(train));
            fingerprint.Add(example.Label);
            fingerprint.Add(example.Text);
            featurizer.Extract(example.Text, scratch);
            var span = scratch.Buckets.AsSpan(0, scratch.BucketCount);
            bucketList.AddRange(span);
            bucketOffsets[i + 1] = bucketList.Count;
            span.Sort();
            for (var k = 0; k < span.Length; k++)
            {
                if (k == 0 || span[k] != span[k - 1])
                {
                    documentFrequency[span[k]]++;
                }
            }
        }

        var kept = new List<int>();
        for (var b = 0; b < buckets; b++)
        {
            if (documentFrequency[b] >= options.MinDocumentFrequency)
            {
                kept.Add(b);
            }
        }

        var bucketOfRow = kept.ToArray();
        float[]? idf = null;
        if (options.Featurizer.UseIdf)
        {
            idf = new float[bucketOfRow.Length];
            for (var r = 0; r < idf.Length; r++)
            {
                idf[r] = (float)(Math.Log((1.0 + train.Count) / (1.0 + documentFrequency[bucketOfRow[r]])) + 1.0);
            }
        }

        var space = new FeatureSpace(buckets, bucketOfRow, idf, options.Featurizer.Weighting, options.Featurizer.VectorNormalization);

        // Pass 2: weighted sparse vectors over the kept rows.
        var offsets = new int[train.Count + 1];
        var rows = new List<int>(bucketList.Count);
        var values = new List<float>(bucketList.Count);
        var allBuckets = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bucketList);
        for (var i = 0; i < train.Count; i++)
        {
            var span = allBuckets[bucketOffsets[i]..bucketOffsets[i + 1]];
            FeatureScratch.Ensure(ref scratch.Buckets, span.Length);
            span.CopyTo(scratch.Buckets);
            scratch.BucketCount = span.Length;
            space.Encode(scratch);
            rows.AddRange(scratch.Rows.AsSpan(0, scratch.Length));
            values.AddRange(scratch.Values.AsSpan(0, scratch.Length));
            offsets[i + 1] = rows.Count;
        }

        var data = new SparseDataset(offsets, [.. rows], [.. values], labelIds, bucketOfRow.Length, labelIndex.Count);
        return (space, data, fingerprint.Finish());
    }
}

/// <summary>The trained classifier and how training went.</summary>
/// <param name="Classifier">The model, ready to predict or save.</param>
/// <param name="Epochs">Epochs chosen by early stopping (0 for naive Bayes).</param>
/// <param name="History">Loss and validation figures per epoch.</param>
public sealed record TextClassifierTrainingResult(TextClassifier Classifier, int Epochs, IReadOnlyList<TrainingEpoch> History);

/// <summary>Figures after one training epoch.</summary>
public sealed record TrainingEpoch(int Epoch, double TrainLoss, double ValidationLoss, double ValidationAccuracy);
