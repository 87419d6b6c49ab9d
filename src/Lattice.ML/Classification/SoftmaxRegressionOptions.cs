namespace Lattice.ML.Classification;

/// <summary>Hyperparameters of multinomial logistic regression trained with mini-batch AdaGrad.</summary>
public sealed record SoftmaxRegressionOptions
{
    /// <summary>AdaGrad base learning rate. Default 0.5.</summary>
    public float LearningRate { get; init; } = 0.5f;

    /// <summary>Upper bound on passes over the data; early stopping usually ends sooner. Default 40.</summary>
    public int MaxEpochs { get; init; } = 40;

    /// <summary>Examples per gradient step. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>L2 penalty, applied to the rows a batch touches. Default 1e-6.</summary>
    public float L2 { get; init; } = 1e-6f;

    /// <summary>Epochs without validation improvement before stopping. Default 3.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Seed for shuffling; the same seed and data give the same model. Default 42.</summary>
    public int Seed { get; init; } = 42;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEpochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(L2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Patience);
    }
}
