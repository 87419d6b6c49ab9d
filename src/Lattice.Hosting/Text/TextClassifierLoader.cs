using Lattice.Hosting.Models;
using Lattice.ML.ModelFiles;
using Lattice.ML.Text;

namespace Lattice.Hosting.Text;

/// <summary>How a service serves a <see cref="TextClassifier"/> (language, sentiment, intent, spam).</summary>
public sealed record TextClassifierServing
{
    /// <summary>The model file inside a version folder. Default <c>model.lattice</c>.</summary>
    public string FileName { get; init; } = "model.lattice";

    /// <summary>The metadata task a version must declare (e.g. <c>sentiment-analysis</c>); null accepts any text classifier.</summary>
    public string? ExpectedTask { get; init; }

    /// <summary>
    /// Names the API shows for the model's labels, e.g. <c>{"0": "negative", "1": "positive"}</c> for a model trained on
    /// numeric classes; labels not listed keep their name.
    /// </summary>
    public IReadOnlyDictionary<string, string> LabelNames { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Whether micro-batching helps this model. <see cref="TextClassifier.PredictBatch"/> scores texts one by one,
    /// so batching only adds a queue and a thread hop: bench/batching.sh measures it; default false.
    /// </summary>
    public bool PrefersBatching { get; init; }
}

/// <summary>Loads <c>&lt;version&gt;/model.lattice</c> as a <see cref="TextClassifier"/> and adapts it to the model server.</summary>
public sealed class TextClassifierLoader(TextClassifierServing serving) : IModelLoader
{
    public TextClassifierLoader()
        : this(new TextClassifierServing())
    {
    }

    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = Path.Combine(source.Directory, serving.FileName);
        if (!File.Exists(path))
        {
            throw new ModelFileException(ModelFileError.MissingContent, $"Version folder {source.Directory} has no {serving.FileName}.");
        }

        var classifier = TextClassifier.Load(path);
        if (serving.ExpectedTask is { } task && !string.Equals(classifier.Metadata.Task, task, StringComparison.Ordinal))
        {
            throw new ModelFileException(ModelFileError.Malformed,
                $"{path} is a '{classifier.Metadata.Task}' model; model '{source.ModelName}' serves '{task}'.");
        }

        return new TextClassifierAdapter(classifier, serving.PrefersBatching, serving.LabelNames);
    }
}

/// <summary>The model server's view of a <see cref="TextClassifier"/>: probabilities per label, allocation-free.</summary>
public sealed class TextClassifierAdapter(TextClassifier classifier, bool prefersBatching, IReadOnlyDictionary<string, string>? labelNames = null) : IModelAdapter
{
    public TextClassifier Classifier => classifier;

    public ModelSignature Signature { get; } = new()
    {
        InputKind = ModelInputKind.Text,
        InputName = "text",
        Labels = [.. classifier.Labels.Select(label => labelNames?.GetValueOrDefault(label) ?? label)],
        OutputWidth = classifier.ClassCount,
        Platform = "lattice_" + classifier.Metadata.Algorithm,
        Task = classifier.Metadata.Task,
        PrefersBatching = prefersBatching,
    };

    public void Predict(in ModelInput input, Span<float> output) => classifier.Predict(input.Text.Span, output);

    public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs)
    {
        // TextClassifier.PredictBatch takes strings; the inputs are spans over request memory, so score them directly.
        var width = classifier.ClassCount;
        for (var i = 0; i < inputs.Length; i++)
        {
            classifier.Predict(inputs[i].Text.Span, outputs.Slice(i * width, width));
        }
    }

    public void Dispose()
    {
    }
}
