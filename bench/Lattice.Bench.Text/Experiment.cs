using System.Diagnostics;
using System.Globalization;
using Lattice.ML.Classification;
using Lattice.ML.Datasets;
using Lattice.ML.Evaluation;
using Lattice.ML.Text;

namespace Lattice.Bench.Text;

/// <summary>Trains a preset with key=value overrides and prints test figures: the tuning loop behind the default models.</summary>
internal static class Experiment
{
    public static int Run(string task, IEnumerable<string> overrides)
    {
        var savePath = overrides.FirstOrDefault(o => o.StartsWith("save=", StringComparison.Ordinal))?[5..];
        overrides = overrides.Where(o => !o.StartsWith("save=", StringComparison.Ordinal)).ToList();
        var folds = overrides.FirstOrDefault(o => o.StartsWith("cv=", StringComparison.Ordinal)) is { } cv ? int.Parse(cv[3..], CultureInfo.InvariantCulture) : 0;
        var overridesList = overrides.Where(o => !o.StartsWith("cv=", StringComparison.Ordinal)).ToList();
        overrides = overridesList;
        var noValidation = overridesList.Remove("novalidation");
        var dataset = TextDatasets.Load(task);
        var options = Apply(TextTaskPresets.For(task), overrides);
        if (folds > 1)
        {
            var cvReport = CrossValidation.Run(dataset.Train, folds, 7, (train, test) =>
                Evaluate(TextClassifierTrainer.Train(train, dataset.Labels, options).Classifier, test));
            Console.WriteLine($"{task} {string.Join(' ', overrides)}: {folds}-fold CV accuracy {cvReport.MeanAccuracy:P2} ± {cvReport.AccuracyStandardDeviation:P2}, macro-F1 {cvReport.MeanMacroF1:P2}");
            return 0;
        }

        var watch = Stopwatch.StartNew();
        var result = TextClassifierTrainer.Train(dataset.Train, dataset.Labels, options, dataset.Description, validation: noValidation ? null : dataset.Validation);
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"{task}: trained in {seconds:F1}s, epochs {result.Epochs}, rows {result.Classifier.FeatureCount}, T {result.Classifier.Model.Temperature:F3}");
        foreach (var e in result.History)
        {
            Console.WriteLine($"  epoch {e.Epoch}: train {e.TrainLoss:F4} val {e.ValidationLoss:F4} acc {e.ValidationAccuracy:P2}");
        }

        if (savePath is not null)
        {
            result.Classifier.Save(savePath);
        }

        watch.Restart();
        var report = Evaluate(result.Classifier, dataset.Test);
        Console.WriteLine($"  evaluated {dataset.Test.Count} in {watch.Elapsed.TotalSeconds:F2}s = {dataset.Test.Count / watch.Elapsed.TotalSeconds:F0}/s");
        if (dataset.Validation is { } dev)
        {
            Print("validation", Evaluate(result.Classifier, dev), false);
        }

        Print("test", report, task == "language");
        foreach (var (name, set) in dataset.ExtraTests)
        {
            Print(name, Evaluate(result.Classifier, set), false);
        }

        return 0;
    }

    public static ClassificationReport Evaluate(TextClassifier classifier, IReadOnlyList<LabeledText> set)
    {
        var evaluator = new ClassificationEvaluator(classifier.Labels);
        var index = classifier.Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        var probabilities = new float[classifier.ClassCount];
        foreach (var example in set)
        {
            classifier.Predict(example.Text, probabilities);
            evaluator.Add(index[example.Label], probabilities);
        }

        return evaluator.ToReport();
    }

    private static void Print(string name, ClassificationReport r, bool perClass)
    {
        Console.WriteLine($"  {name,-13} n={r.Count} acc {r.Accuracy:P2} macroF1 {r.MacroF1:P2} meanRecall {r.MacroRecall:P2} ECE {r.ExpectedCalibrationError:F4} logloss {r.LogLoss:F3}");
        if (perClass)
        {
            Console.WriteLine("    worst: " + string.Join(" ", r.PerClass.OrderBy(c => c.Recall).Take(16).Select(c => $"{c.Label}:{c.Recall:P0}")));
        }
    }

    private static TextClassifierTrainingOptions Apply(TextClassifierTrainingOptions o, IEnumerable<string> overrides)
    {
        foreach (var pair in overrides)
        {
            var (key, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            var f = o.Featurizer;
            var s = o.SoftmaxRegression;
            var nb = o.NaiveBayes;
            var inv = CultureInfo.InvariantCulture;
            o = key switch
            {
                "algo" => o with { Algorithm = value == "nb" ? TextClassifierAlgorithm.NaiveBayes : TextClassifierAlgorithm.SoftmaxRegression },
                "words" => o with { Featurizer = f with { WordNgrams = int.Parse(value, inv) } },
                "cmin" => o with { Featurizer = f with { CharNgramMin = int.Parse(value, inv) } },
                "cmax" => o with { Featurizer = f with { CharNgramMax = int.Parse(value, inv) } },
                "buckets" => o with { Featurizer = f with { Buckets = int.Parse(value, inv) } },
                "weight" => o with { Featurizer = f with { Weighting = Enum.Parse<TermWeighting>(value, true) } },
                "norm" => o with { Featurizer = f with { VectorNormalization = Enum.Parse<VectorNormalization>(value, true) } },
                "idf" => o with { Featurizer = f with { UseIdf = bool.Parse(value) } },
                "digits" => o with { Featurizer = f with { DigitFolding = bool.Parse(value) } },
                "fold" => o with { Featurizer = f with { CaseFolding = bool.Parse(value) } },
                "nfkc" => o with { Featurizer = f with { Normalization = bool.Parse(value) ? TextNormalization.Nfkc : TextNormalization.None } },
                "lr" => o with { SoftmaxRegression = s with { LearningRate = float.Parse(value, inv) } },
                "l2" => o with { SoftmaxRegression = s with { L2 = float.Parse(value, inv) } },
                "batch" => o with { SoftmaxRegression = s with { BatchSize = int.Parse(value, inv) } },
                "epochs" => o with { SoftmaxRegression = s with { MaxEpochs = int.Parse(value, inv) } },
                "patience" => o with { SoftmaxRegression = s with { Patience = int.Parse(value, inv) } },
                "seed" => o with { SoftmaxRegression = s with { Seed = int.Parse(value, inv) }, Seed = int.Parse(value, inv) },
                "alpha" => o with { NaiveBayes = nb with { Alpha = float.Parse(value, inv) } },
                "uniform" => o with { NaiveBayes = nb with { UniformPrior = bool.Parse(value) } },
                "val" => o with { ValidationFraction = double.Parse(value, inv) },
                "refit" => o with { RefitOnAllData = bool.Parse(value) },
                "mindf" => o with { MinDocumentFrequency = int.Parse(value, inv) },
                "precision" => o with { WeightPrecision = Enum.Parse<WeightPrecision>(value, true) },
                _ => throw new ArgumentException($"Unknown override '{key}'."),
            };
        }

        return o;
    }
}
