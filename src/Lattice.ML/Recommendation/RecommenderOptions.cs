namespace Lattice.ML.Recommendation;

/// <summary>Which rating model a recommender is trained with.</summary>
public enum RecommenderAlgorithm
{
    /// <summary>μ + b_u + b_i by alternating least squares (Surprise BaselineOnly).</summary>
    Baseline,

    /// <summary>Biased matrix factorisation by SGD (Surprise SVD).</summary>
    Svd,

    /// <summary>SVD with implicit feedback from which items a user rated (Surprise SVDpp).</summary>
    SvdPlusPlus,

    /// <summary>Item-based k-NN on baseline residuals, pearson_baseline similarity (Surprise KNNBaseline, item based).</summary>
    ItemKnnBaseline,

    /// <summary>A least-squares blend of SVD++ and item k-NN, weights fitted on a held-out slice of the training data.</summary>
    Blend,
}

/// <summary>Training options for <see cref="RecommenderTrainer"/>; the defaults are the tuned blend used by the benchmark.</summary>
public sealed record RecommenderOptions
{
    public RecommenderAlgorithm Algorithm { get; init; } = RecommenderAlgorithm.Blend;

    public int Factors { get; init; } = 50;

    public int Epochs { get; init; } = 40;

    public float LearningRate { get; init; } = 0.007f;

    /// <summary>Multiplied into the learning rate after every epoch.</summary>
    public float LearningRateDecay { get; init; } = 0.96f;

    public float Regularization { get; init; } = 0.05f;

    public float BiasRegularization { get; init; } = 0.02f;

    public float BiasLearningRateFactor { get; init; } = 1f;

    /// <summary>Regularisation of SVD++'s implicit factors y_j.</summary>
    public float ImplicitRegularization { get; init; } = 0.05f;

    public float InitStdDev { get; init; } = 0.1f;

    /// <summary>k of the item k-NN.</summary>
    public int Neighbors { get; init; } = 40;

    /// <summary>Shrinkage of the pearson_baseline similarity (Surprise default 100).</summary>
    public double Shrinkage { get; init; } = 100;

    /// <summary>Share of the training ratings held out to fit the blend weights.</summary>
    public double BlendHoldout { get; init; } = 0.1;

    public int Seed { get; init; } = 42;

    internal bool ImplicitFeedback => Algorithm is RecommenderAlgorithm.SvdPlusPlus or RecommenderAlgorithm.Blend;

    /// <summary>Surprise's SVD defaults (100 factors, 20 epochs, lr 0.005, reg 0.02).</summary>
    public static RecommenderOptions SurpriseSvd { get; } = new()
    {
        Algorithm = RecommenderAlgorithm.Svd, Factors = 100, Epochs = 20, LearningRate = 0.005f, LearningRateDecay = 1f,
        Regularization = 0.02f, BiasRegularization = 0.02f, ImplicitRegularization = 0.02f,
    };

    /// <summary>Surprise's SVDpp defaults (20 factors, 20 epochs, lr 0.007, reg 0.02).</summary>
    public static RecommenderOptions SurpriseSvdPlusPlus { get; } = new()
    {
        Algorithm = RecommenderAlgorithm.SvdPlusPlus, Factors = 20, Epochs = 20, LearningRate = 0.007f, LearningRateDecay = 1f,
        Regularization = 0.02f, BiasRegularization = 0.02f, ImplicitRegularization = 0.02f,
    };

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Factors, 1, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Factors, 1024, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfNegative(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(Neighbors, 1, nameof(Neighbors));
        if (!(LearningRate > 0 && LearningRate < 1) || !(LearningRateDecay > 0 && LearningRateDecay <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), "Learning rate must be in (0, 1) and its decay in (0, 1].");
        }

        if (Regularization < 0 || BiasRegularization < 0 || ImplicitRegularization < 0 || Shrinkage < 0 || !(BlendHoldout > 0 && BlendHoldout < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(Regularization), "Regularisation and shrinkage must be non-negative and the blend hold-out in (0, 0.5).");
        }
    }
}
