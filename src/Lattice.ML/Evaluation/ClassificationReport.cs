using System.Text.Json;

namespace Lattice.ML.Evaluation;

/// <summary>Quality of a classifier on a labelled set: accuracy, macro-F1, per-class figures, confusion matrix, calibration.</summary>
public sealed record ClassificationReport
{
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Number of examples evaluated.</summary>
    public required int Count { get; init; }

    public required double Accuracy { get; init; }

    /// <summary>Unweighted mean of per-class precision.</summary>
    public required double MacroPrecision { get; init; }

    /// <summary>Unweighted mean of per-class recall (= mean per-class accuracy).</summary>
    public required double MacroRecall { get; init; }

    /// <summary>Unweighted mean of per-class F1.</summary>
    public required double MacroF1 { get; init; }

    /// <summary>Expected calibration error over 15 equal-width confidence bins.</summary>
    public required double ExpectedCalibrationError { get; init; }

    /// <summary>Mean negative log-likelihood of the true class.</summary>
    public required double LogLoss { get; init; }

    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }

    /// <summary>Counts: row = actual class, column = predicted class, in <see cref="Labels"/> order.</summary>
    public required IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix { get; init; }

    /// <summary>Serialises the report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, EvaluationJsonContext.Default.ClassificationReport);
}

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassMetrics(string Label, int Support, double Precision, double Recall, double F1);
