using System.Diagnostics;
using Lattice.ML.Datasets;
using Lattice.ML.Evaluation;

namespace Lattice.ML.Text;

/// <summary>Reproduces a default model (language, sentiment, intent, spam) from the shared datasets:
/// the recipe behind <c>lattice train</c> and <c>bench/text.sh</c>.</summary>
public static class DefaultTextModels
{
    /// <summary>Trains the model for <paramref name="task"/>, evaluates it on every test split and records
    /// the test figures in its metadata.</summary>
    /// <param name="task">language, sentiment, intent or spam.</param>
    /// <param name="datasetsRoot">The shared datasets folder; found by <see cref="DatasetLocator"/> if null.</param>
    /// <param name="timeProvider">Clock for the model's creation time.</param>
    /// <param name="version">Model version to record.</param>
    public static DefaultTextModelResult Train(string task, string? datasetsRoot = null, TimeProvider? timeProvider = null, string version = "1")
    {
        var dataset = TextDatasets.Load(task, datasetsRoot);
        var options = TextTaskPresets.For(task) with { Version = version };
        var watch = Stopwatch.StartNew();
        var result = TextClassifierTrainer.Train(dataset.Train, dataset.Labels, options, dataset.Description, timeProvider, dataset.Validation);
        var seconds = watch.Elapsed.TotalSeconds;

        var reports = new Dictionary<string, ClassificationReport> { ["test"] = TextClassifierEvaluation.Evaluate(result.Classifier, dataset.Test) };
        foreach (var (name, examples) in dataset.ExtraTests)
        {
            reports[name] = TextClassifierEvaluation.Evaluate(result.Classifier, examples);
        }

        var metrics = new Dictionary<string, double> { ["trainingSeconds"] = Math.Round(seconds, 2), ["epochs"] = result.Epochs };
        foreach (var (name, report) in reports)
        {
            metrics[$"{name}.accuracy"] = report.Accuracy;
            metrics[$"{name}.macroF1"] = report.MacroF1;
            metrics[$"{name}.meanClassAccuracy"] = report.MacroRecall;
            metrics[$"{name}.ece"] = report.ExpectedCalibrationError;
            metrics[$"{name}.logLoss"] = report.LogLoss;
            metrics[$"{name}.count"] = report.Count;
        }

        var classifier = result.Classifier.WithMetadata(result.Classifier.Metadata with { Metrics = metrics });
        return new DefaultTextModelResult(classifier, dataset, reports, seconds);
    }
}

/// <summary>A trained default model with its evaluation.</summary>
/// <param name="Classifier">The model, test metrics in its metadata.</param>
/// <param name="Dataset">The data it was trained and tested on.</param>
/// <param name="Reports">Evaluation per test split (<c>test</c>, and e.g. <c>word-pairs</c>).</param>
/// <param name="TrainingSeconds">Wall time of training.</param>
public sealed record DefaultTextModelResult(
    TextClassifier Classifier,
    TextDataset Dataset,
    IReadOnlyDictionary<string, ClassificationReport> Reports,
    double TrainingSeconds);
