using Lattice.ML.Datasets;
using Lattice.ML.Evaluation;

namespace Lattice.ML.Text;

/// <summary>Evaluates a <see cref="TextClassifier"/> on labelled texts.</summary>
public static class TextClassifierEvaluation
{
    /// <summary>Predicts every example and reports accuracy, macro-F1, per-class figures, confusion and calibration.</summary>
    /// <exception cref="ArgumentException">An example's label is not one of the classifier's labels.</exception>
    public static ClassificationReport Evaluate(TextClassifier classifier, IReadOnlyList<LabeledText> examples)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(examples);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classifier.Labels.Count; i++)
        {
            index[classifier.Labels[i]] = i;
        }

        var evaluator = new ClassificationEvaluator(classifier.Labels);
        var probabilities = new float[classifier.ClassCount];
        foreach (var example in examples)
        {
            if (!index.TryGetValue(example.Label, out var actual))
            {
                throw new ArgumentException($"Label '{example.Label}' is not one of the model's labels.", nameof(examples));
            }

            classifier.Predict(example.Text, probabilities);
            evaluator.Add(actual, probabilities);
        }

        return evaluator.ToReport();
    }
}
