using Lattice.ML.Classification;
using Lattice.ML.ModelFiles;

namespace Lattice.ML.Text;

/// <summary>A trained text classifier (language ID, sentiment, intent, spam): load it, then predict from any number of threads.</summary>
/// <remarks>
/// <see cref="Predict(ReadOnlySpan{char}, Span{float})"/> allocates nothing once a thread has warmed up:
/// working memory is thread-static and grows only up to the bound set by
/// <see cref="TextFeaturizerOptions.MaxInputChars"/>. The model itself is immutable.
/// </remarks>
public sealed class TextClassifier
{
    internal const string SoftmaxAlgorithm = "softmax-regression";
    internal const string NaiveBayesAlgorithm = "naive-bayes";

    [ThreadStatic]
    private static FeatureScratch? _threadScratch;

    private readonly TextFeaturizer _featurizer;
    private readonly FeatureSpace _space;
    private readonly LinearModel _model;
    private readonly string[] _labels;

    internal TextClassifier(ModelMetadata metadata, TextFeaturizer featurizer, FeatureSpace space, LinearModel model)
    {
        if (metadata.Labels.Count != model.ClassCount || space.RowCount != model.RowCount)
        {
            throw new ArgumentException("Labels, features and weights do not agree.");
        }

        Metadata = metadata;
        _featurizer = featurizer;
        _space = space;
        _model = model;
        _labels = [.. metadata.Labels];
    }

    /// <summary>The model's metadata (name, version, task, labels, featuriser, metrics, …).</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>Output labels; probability i belongs to label i.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Number of classes: the length <see cref="Predict(ReadOnlySpan{char}, Span{float})"/> needs.</summary>
    public int ClassCount => _labels.Length;

    /// <summary>The featuriser settings the model was trained with.</summary>
    public TextFeaturizerOptions FeaturizerOptions => _featurizer.Options;

    /// <summary>Number of feature rows with weights.</summary>
    public int FeatureCount => _space.RowCount;

    /// <summary>How the model's weights are stored.</summary>
    public WeightPrecision WeightPrecision => _model.Precision;

    internal LinearModel Model => _model;

    internal FeatureSpace Space => _space;

    internal TextFeaturizer Featurizer => _featurizer;

    /// <summary>Loads and verifies a model file.</summary>
    /// <exception cref="ModelFileException">The file is corrupt, truncated, of a newer format, or not a text classifier.</exception>
    public static TextClassifier Load(string path) => FromModelFile(ModelFile.Load(path));

    /// <summary>Builds a classifier from an already loaded model file.</summary>
    public static TextClassifier FromModelFile(ModelFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var metadata = file.Metadata;
        if (metadata.Algorithm is not (SoftmaxAlgorithm or NaiveBayesAlgorithm))
        {
            throw new ModelFileException(ModelFileError.Malformed,
                $"Model '{metadata.Name}' is a '{metadata.Algorithm}' model, not a text classifier.");
        }

        if (metadata.FeaturizerJson is not { } featurizerJson || metadata.Labels.Count == 0)
        {
            throw new ModelFileException(ModelFileError.MissingContent, $"Model '{metadata.Name}' lacks featuriser settings or labels.");
        }

        TextFeaturizerOptions options;
        try
        {
            options = TextFeaturizerOptionsJson.FromJson(featurizerJson);
            options.Validate();
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            throw new ModelFileException(ModelFileError.Malformed,
                $"Model '{metadata.Name}' has featuriser settings this build cannot honour ({ex.Message}).", ex);
        }

        var bucketOfRow = file.ToArray<int>("bucket_of_row");
        var idf = file.Contains("idf") ? file.ToArray<float>("idf") : null;
        if (idf is not null && idf.Length != bucketOfRow.Length)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{metadata.Name}' has {idf.Length} IDF values for {bucketOfRow.Length} rows.");
        }

        var model = LinearModel.ReadFrom(file, bucketOfRow.Length, metadata.Labels.Count);
        FeatureSpace space;
        try
        {
            space = new FeatureSpace(options.Buckets, bucketOfRow, idf, options.Weighting, options.VectorNormalization);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{metadata.Name}' has an invalid feature index ({ex.Message}).", ex);
        }

        return new TextClassifier(metadata, new TextFeaturizer(options), space, model);
    }

    /// <summary>Predicts class probabilities for one text into <paramref name="probabilities"/> (at least
    /// <see cref="ClassCount"/> long) and returns the index of the most probable class. Allocation-free in steady state.</summary>
    public int Predict(ReadOnlySpan<char> text, Span<float> probabilities)
    {
        if (probabilities.Length < _labels.Length)
        {
            throw new ArgumentException($"The probability buffer needs {_labels.Length} elements.", nameof(probabilities));
        }

        var scratch = _threadScratch ??= new FeatureScratch();
        _featurizer.Extract(text, scratch);
        _space.Encode(scratch);
        var scores = probabilities[.._labels.Length];
        _model.Score(scratch.Rows.AsSpan(0, scratch.Length), scratch.Values.AsSpan(0, scratch.Length), scores);
        _model.ToProbabilities(scores, scores);
        return VectorMath.IndexOfMax(scores);
    }

    /// <summary>Predicts the most probable class index. Allocation-free in steady state.</summary>
    public int PredictIndex(ReadOnlySpan<char> text)
    {
        var scratch = _threadScratch ??= new FeatureScratch();
        FeatureScratch.Ensure(ref scratch.Scores, _labels.Length);
        var scores = scratch.Scores;
        _featurizer.Extract(text, scratch);
        _space.Encode(scratch);
        _model.Score(scratch.Rows.AsSpan(0, scratch.Length), scratch.Values.AsSpan(0, scratch.Length), scores);
        return VectorMath.IndexOfMax(scores.AsSpan(0, _labels.Length));
    }

    /// <summary>Predicts several texts: row i of <paramref name="probabilities"/> (row-major, <see cref="ClassCount"/> wide)
    /// and <paramref name="predicted"/>[i] belong to <paramref name="texts"/>[i]. Allocation-free in steady state.</summary>
    public void PredictBatch(ReadOnlySpan<string> texts, Span<float> probabilities, Span<int> predicted)
    {
        var classes = _labels.Length;
        if (probabilities.Length < texts.Length * classes)
        {
            throw new ArgumentException($"The probability buffer needs {texts.Length * classes} elements.", nameof(probabilities));
        }

        if (predicted.Length < texts.Length)
        {
            throw new ArgumentException($"The prediction buffer needs {texts.Length} elements.", nameof(predicted));
        }

        for (var i = 0; i < texts.Length; i++)
        {
            predicted[i] = Predict(texts[i] ?? string.Empty, probabilities.Slice(i * classes, classes));
        }
    }

    /// <summary>Convenience form that allocates its result; serving code should prefer the span overload.</summary>
    public TextPrediction Predict(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var probabilities = new float[_labels.Length];
        var index = Predict(text.AsSpan(), probabilities);
        return new TextPrediction(_labels[index], index, probabilities[index], probabilities);
    }

    /// <summary>Returns a copy with other metadata (e.g. with test metrics filled in); weights are shared.</summary>
    public TextClassifier WithMetadata(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.Labels.SequenceEqual(_labels))
        {
            throw new ArgumentException("Labels cannot change.", nameof(metadata));
        }

        return new TextClassifier(metadata, _featurizer, _space, _model);
    }

    /// <summary>Serialises the model into the Lattice model file format.</summary>
    public ModelFileWriter ToModelFile()
    {
        var writer = new ModelFileWriter(Metadata);
        writer.Add("bucket_of_row", _space.BucketOfRow);
        if (_space.HasIdf)
        {
            writer.Add("idf", _space.Idf);
        }

        _model.WriteTo(writer);
        return writer;
    }

    /// <summary>Saves the model atomically to <paramref name="path"/>.</summary>
    public void Save(string path) => ToModelFile().Save(path);
}
