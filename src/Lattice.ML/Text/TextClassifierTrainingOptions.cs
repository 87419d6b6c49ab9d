using Lattice.ML.Classification;

namespace Lattice.ML.Text;

/// <summary>Which learner a text classifier uses.</summary>
public enum TextClassifierAlgorithm
{
    /// <summary>Multinomial logistic regression (softmax), mini-batch AdaGrad, L2, early stopping.</summary>
    SoftmaxRegression,

    /// <summary>Multinomial naive Bayes with additive smoothing.</summary>
    NaiveBayes,
}

/// <summary>Everything needed to train a text classifier reproducibly.</summary>
public sealed record TextClassifierTrainingOptions
{
    /// <summary>Model name written to the metadata, e.g. <c>sentiment</c>.</summary>
    public string Name { get; init; } = "text-classifier";

    /// <summary>Model version written to the metadata. Default <c>1</c>.</summary>
    public string Version { get; init; } = "1";

    /// <summary>Task written to the metadata, e.g. <c>sentiment-analysis</c>.</summary>
    public string Task { get; init; } = "text-classification";

    public TextClassifierAlgorithm Algorithm { get; init; } = TextClassifierAlgorithm.SoftmaxRegression;

    public TextFeaturizerOptions Featurizer { get; init; } = new();

    public SoftmaxRegressionOptions SoftmaxRegression { get; init; } = new();

    public NaiveBayesOptions NaiveBayes { get; init; } = new();

    /// <summary>Share of the training data held out for early stopping and calibration. Default 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>After early stopping picks the epoch count, retrain on all data for that many epochs. Default true.</summary>
    public bool RefitOnAllData { get; init; } = true;

    /// <summary>Fit a softmax temperature on the held-out split so probabilities are calibrated. Default true.</summary>
    public bool CalibrateTemperature { get; init; } = true;

    /// <summary>Features seen in fewer training texts than this get no weights (smaller model). Default 1.</summary>
    public int MinDocumentFrequency { get; init; } = 1;

    /// <summary>How weights are stored; the trained model is rounded to it so it predicts exactly what its file will. Default 32-bit.</summary>
    public WeightPrecision WeightPrecision { get; init; } = WeightPrecision.Float32;

    /// <summary>Seed for the validation split. Default 42.</summary>
    public int Seed { get; init; } = 42;

    public void Validate()
    {
        Featurizer.Validate();
        SoftmaxRegression.Validate();
        NaiveBayes.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(ValidationFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(ValidationFraction, 1.0);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinDocumentFrequency);
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(Version);
    }
}
