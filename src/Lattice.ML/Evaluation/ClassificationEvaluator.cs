namespace Lattice.ML.Evaluation;

/// <summary>Accumulates predictions and true labels, then produces a <see cref="ClassificationReport"/>.</summary>
public sealed class ClassificationEvaluator
{
    private const int CalibrationBins = 15;
    private readonly IReadOnlyList<string> _labels;
    private readonly int[,] _confusion;
    private readonly double[] _binConfidence = new double[CalibrationBins];
    private readonly int[] _binCorrect = new int[CalibrationBins];
    private readonly int[] _binCount = new int[CalibrationBins];
    private double _logLoss;
    private int _count;

    public ClassificationEvaluator(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfZero(labels.Count);
        _labels = labels;
        _confusion = new int[labels.Count, labels.Count];
    }

    /// <summary>Adds one example: its true class and the predicted probability of every class.</summary>
    public void Add(int actual, ReadOnlySpan<float> probabilities)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actual);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(actual, _labels.Count);
        probabilities = probabilities[.._labels.Count];
        var predicted = Classification.VectorMath.IndexOfMax(probabilities);
        _confusion[actual, predicted]++;
        var confidence = probabilities[predicted];
        var bin = Math.Clamp((int)(confidence * CalibrationBins), 0, CalibrationBins - 1);
        _binCount[bin]++;
        _binConfidence[bin] += confidence;
        if (predicted == actual)
        {
            _binCorrect[bin]++;
        }

        _logLoss -= Math.Log(Math.Max(probabilities[actual], 1e-12));
        _count++;
    }

    public ClassificationReport ToReport()
    {
        var classes = _labels.Count;
        var perClass = new List<ClassMetrics>(classes);
        var matrix = new List<IReadOnlyList<int>>(classes);
        long correct = 0;
        for (var c = 0; c < classes; c++)
        {
            int truePositives = _confusion[c, c], support = 0, predictedAs = 0;
            var row = new int[classes];
            for (var k = 0; k < classes; k++)
            {
                row[k] = _confusion[c, k];
                support += _confusion[c, k];
                predictedAs += _confusion[k, c];
            }

            correct += truePositives;
            matrix.Add(row);
            var precision = predictedAs == 0 ? 0 : (double)truePositives / predictedAs;
            var recall = support == 0 ? 0 : (double)truePositives / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(_labels[c], support, precision, recall, f1));
        }

        double ece = 0;
        for (var b = 0; b < CalibrationBins; b++)
        {
            if (_binCount[b] > 0)
            {
                ece += Math.Abs(_binCorrect[b] - _binConfidence[b]) / Math.Max(1, _count);
            }
        }

        // Classes absent from the evaluated set would drag the macro averages to zero; average over present ones.
        var present = perClass.Where(m => m.Support > 0).ToList();
        return new ClassificationReport
        {
            Labels = _labels,
            Count = _count,
            Accuracy = _count == 0 ? 0 : (double)correct / _count,
            MacroPrecision = present.Count == 0 ? 0 : present.Average(m => m.Precision),
            MacroRecall = present.Count == 0 ? 0 : present.Average(m => m.Recall),
            MacroF1 = present.Count == 0 ? 0 : present.Average(m => m.F1),
            ExpectedCalibrationError = ece,
            LogLoss = _count == 0 ? 0 : _logLoss / _count,
            PerClass = perClass,
            ConfusionMatrix = matrix,
        };
    }
}
