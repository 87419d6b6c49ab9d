namespace Lattice.Hosting.Models;

/// <summary>The kind of input a model takes.</summary>
public enum ModelInputKind
{
    /// <summary>One UTF-8 string per item (OIP <c>BYTES</c>).</summary>
    Text,

    /// <summary>A fixed-length row of numbers per item (OIP <c>FP32</c>; other numeric datatypes are converted).</summary>
    Features,
}

/// <summary>What a model version takes and returns; the Open Inference Protocol metadata is derived from it.</summary>
public sealed record ModelSignature
{
    /// <summary>Input kind.</summary>
    public required ModelInputKind InputKind { get; init; }

    /// <summary>Name of the single input tensor; default <c>text</c> for text models, <c>input</c> otherwise.</summary>
    public string? InputName { get; init; }

    /// <summary>Features per item (only for <see cref="ModelInputKind.Features"/>).</summary>
    public int FeatureCount { get; init; }

    /// <summary>Class labels in output order; empty for models whose output is not a class distribution.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Output floats per item (the label count for classifiers).</summary>
    public required int OutputWidth { get; init; }

    /// <summary>OIP platform string, <c>lattice_&lt;algorithm&gt;</c>.</summary>
    public string Platform { get; init; } = "lattice";

    /// <summary>What the model does, e.g. <c>text-classification</c>.</summary>
    public string Task { get; init; } = "unknown";

    /// <summary>Whether NaN and infinities are valid feature values (e.g. missing values in tree models).</summary>
    public bool AllowsNonFiniteFeatures { get; init; }

    /// <summary>
    /// Whether <see cref="IModelAdapter.PredictBatch"/> is measurably faster per item than
    /// <see cref="IModelAdapter.Predict"/>; micro-batching is on by default only then.
    /// </summary>
    public bool PrefersBatching { get; init; }

    /// <summary>The input tensor name clients must use.</summary>
    public string EffectiveInputName => InputName ?? (InputKind == ModelInputKind.Text ? "text" : "input");

    /// <summary>True for classifiers (non-empty <see cref="Labels"/>).</summary>
    public bool IsClassifier => Labels.Count > 0;
}
