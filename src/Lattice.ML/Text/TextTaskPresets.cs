using Lattice.ML.Classification;

namespace Lattice.ML.Text;

/// <summary>The settings that produce the default models; one place, shared by <c>lattice train</c> and the benchmark.</summary>
/// <remarks>
/// How each was chosen (details in the model cards under models/): language by 5-fold cross-validation
/// on the UDHR training text; sentiment on the SST-2 dev sentences; intent and spam on a 10 % split held
/// out of the training data. Test sets were used only to report. Bucket counts are as small as accuracy
/// allows: the bucket table is touched on every prediction and paged in on every model load.
/// </remarks>
public static class TextTaskPresets
{
    /// <summary>Training options for a default model task: language, sentiment, intent or spam.</summary>
    public static TextClassifierTrainingOptions For(string task) => task switch
    {
        // Naive Bayes over character 1–5-grams and words: with ~10k characters of UDHR per language it
        // generalises to web text far better than discriminative training, which overfits the UDHR.
        "language" => new TextClassifierTrainingOptions
        {
            Name = "language",
            Task = "language-identification",
            Algorithm = TextClassifierAlgorithm.NaiveBayes,
            Featurizer = new TextFeaturizerOptions
            {
                WordNgrams = 1,
                CharNgramMin = 1,
                CharNgramMax = 5,
                Weighting = TermWeighting.Count,
                VectorNormalization = VectorNormalization.None,
                Buckets = 1 << 20,
            },
            NaiveBayes = new NaiveBayesOptions { Alpha = 0.1f, UniformPrior = true },
            MinDocumentFrequency = 2,
        },

        // Word uni- and bigrams only: character n-grams added ~0.5 point on dev but cost 10× the features.
        "sentiment" => new TextClassifierTrainingOptions
        {
            Name = "sentiment",
            Task = "sentiment-analysis",
            Featurizer = new TextFeaturizerOptions { WordNgrams = 2, Buckets = 1 << 19 },
            SoftmaxRegression = new SoftmaxRegressionOptions { LearningRate = 0.2f },
            MinDocumentFrequency = 2,
        },
        "intent" => new TextClassifierTrainingOptions
        {
            Name = "intent",
            Task = "intent-classification",
            Featurizer = new TextFeaturizerOptions { WordNgrams = 2, CharNgramMin = 3, CharNgramMax = 4, Buckets = 1 << 18 },
            SoftmaxRegression = new SoftmaxRegressionOptions { L2 = 1e-5f },
            MinDocumentFrequency = 3,
        },

        // Words with digits folded to 0: phone numbers, prices and short codes count by shape, which
        // matched character n-grams (2–5) in cross-validation at a tenth of the features.
        "spam" => new TextClassifierTrainingOptions
        {
            Name = "spam",
            Task = "spam-detection",
            Featurizer = new TextFeaturizerOptions { WordNgrams = 2, DigitFolding = true, Buckets = 1 << 18, UseIdf = true },
            SoftmaxRegression = new SoftmaxRegressionOptions { L2 = 1e-5f },
            MinDocumentFrequency = 2,
        },
        _ => throw new ArgumentException($"Unknown task '{task}'; expected language, sentiment, intent or spam.", nameof(task)),
    };
}
