namespace Lattice.ML.Datasets;

/// <summary>One text with its label.</summary>
public sealed record LabeledText(string Text, string Label);

/// <summary>A text classification dataset with its standard splits.</summary>
/// <param name="Name">Short name, e.g. <c>sst2</c>.</param>
/// <param name="Labels">All labels in a stable order (the model's output order).</param>
/// <param name="Train">Training examples.</param>
/// <param name="Test">The standard test split.</param>
/// <param name="Description">Which files and which split, for model cards and metadata.</param>
public sealed record TextDataset(
    string Name,
    IReadOnlyList<string> Labels,
    IReadOnlyList<LabeledText> Train,
    IReadOnlyList<LabeledText> Test,
    string Description)
{
    /// <summary>A standard validation split for early stopping and calibration, if the dataset has one
    /// (otherwise the trainer holds out part of <see cref="Train"/>).</summary>
    public IReadOnlyList<LabeledText>? Validation { get; init; }

    /// <summary>Further test sets (e.g. Lingua word pairs and single words), by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<LabeledText>> ExtraTests { get; init; } =
        new Dictionary<string, IReadOnlyList<LabeledText>>();
}
