using Lattice.ML.Classification;

namespace Lattice.ML.Text;

/// <summary>The settings that produce the default models; one place, shared by <c>lattice train</c> and the benchmark.</summary>
public static class TextTaskPresets
{
    /// <summary>Training options for a default model task: language, sentiment, intent or spam.</summary>
    public static TextClassifierTrainingOptions For(string task) => task switch
    {
        "language" => new TextClassifierTrainingOptions
        {
            Name = "language",
            Task = "language-identification",
            Algorithm = TextClassifierAlgorithm.NaiveBayes,
            Featurizer = new TextFeaturizerOptions
            {
                WordNgrams = 0,
                CharNgramMin = 1,
                CharNgramMax = 4,
                Weighting = TermWeighting.Count,
                VectorNormalization = VectorNormalization.None,
                Buckets = 1 << 20,
            },
            NaiveBayes = new NaiveBayesOptions { Alpha = 0.1f, UniformPrior = true },
        },
        "sentiment" => new TextClassifierTrainingOptions
        {
            Name = "sentiment",
            Task = "sentiment-analysis",
            Featurizer = new TextFeaturizerOptions { WordNgrams = 2, Buckets = 1 << 20 },
        },
        "intent" => new TextClassifierTrainingOptions
        {
            Name = "intent",
            Task = "intent-classification",
            Featurizer = new TextFeaturizerOptions { WordNgrams = 2, CharNgramMin = 2, CharNgramMax = 5, Buckets = 1 << 20 },
        },
        "spam" => new TextClassifierTrainingOptions
        {
            Name = "spam",
            Task = "spam-detection",
            Featurizer = new TextFeaturizerOptions { WordNgrams = 2, CharNgramMin = 2, CharNgramMax = 5, Buckets = 1 << 20 },
        },
        _ => throw new ArgumentException($"Unknown task '{task}'; expected language, sentiment, intent or spam.", nameof(task)),
    };
}
