namespace Lattice.ML.ModelFiles;

/// <summary>The JSON metadata stored at the head of every Lattice model file.</summary>
/// <remarks>
/// Generic on purpose: text classifiers, recommenders, tree ensembles and forecasters all use it.
/// Model-specific settings go into <see cref="FeaturizerJson"/> and <see cref="HyperparametersJson"/> as free JSON,
/// so adding a model kind never changes the file format. Unknown JSON properties are ignored on read,
/// which lets newer writers add optional fields without breaking older readers.
/// </remarks>
public sealed record ModelMetadata
{
    /// <summary>Model name, e.g. <c>sentiment</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Model version as the registry knows it, e.g. <c>1</c>.</summary>
    public required string Version { get; init; }

    /// <summary>What the model does, e.g. <c>text-classification</c>, <c>language-identification</c>.</summary>
    public required string Task { get; init; }

    /// <summary>The algorithm and therefore the reader of the sections, e.g. <c>softmax-regression</c>.</summary>
    public required string Algorithm { get; init; }

    /// <summary>Output labels in score order; empty for models without classes.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Featuriser settings needed to reproduce the model's inputs at inference time, as the text of a
    /// JSON object (stored as the <c>featurizer</c> object of the metadata).</summary>
    public string? FeaturizerJson { get; init; }

    /// <summary>Training hyperparameters, recorded for reproducibility, as the text of a JSON object
    /// (stored as the <c>hyperparameters</c> object of the metadata).</summary>
    public string? HyperparametersJson { get; init; }

    /// <summary>Which data the model was trained on.</summary>
    public TrainingDataInfo? TrainingData { get; init; }

    /// <summary>Evaluation figures measured at training time (name to value, e.g. <c>test.accuracy</c>).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Free-form string properties (e.g. the library version that wrote the file).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>When the model was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Describes the training data of a model: a content fingerprint, a description and the row count.</summary>
/// <param name="Fingerprint">Content hash of the training examples, e.g. <c>sha256:…</c> (see <see cref="DataFingerprint"/>).</param>
/// <param name="Description">Human-readable source, e.g. <c>sentiment/sst2/train_glue_phrases.tsv</c>.</param>
/// <param name="Rows">Number of training examples.</param>
public sealed record TrainingDataInfo(string Fingerprint, string Description, long Rows);
