namespace Lattice.ML.Classification;

/// <summary>Hyperparameters of multinomial naive Bayes.</summary>
public sealed record NaiveBayesOptions
{
    /// <summary>Additive (Lidstone) smoothing added to every feature count. Default 0.1.</summary>
    public float Alpha { get; init; } = 0.1f;

    /// <summary>Ignore class frequencies in the training data (useful when they do not reflect use, as in language ID). Default false.</summary>
    public bool UniformPrior { get; init; }

    public void Validate() => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Alpha);
}
