using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lattice.ML.Datasets;
using Lattice.ML.Evaluation;
using Lattice.ML.Text;

namespace Lattice.Cli.Commands;

/// <summary><c>lattice train &lt;task&gt; --data &lt;datasets&gt; --out &lt;dir&gt;</c>: reproduces a default model.</summary>
internal static class TrainCommand
{
    public const string ModelFileName = "model.lattice";
    public const string EvaluationFileName = "evaluation.json";

    public static Command Create(TimeProvider timeProvider)
    {
        var task = new Argument<string>("task") { Description = "Which default model: language, sentiment, intent or spam." };
        task.AcceptOnlyFromAmong([.. TextDatasets.Tasks]);
        var data = new Option<DirectoryInfo?>("--data")
        {
            Description = $"The shared datasets folder (default: ${DatasetLocator.EnvironmentVariable}, else a sibling shared/datasets).",
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder to write model.lattice and evaluation.json to, e.g. models/sentiment/1.",
            Required = true,
        };
        var version = new Option<string>("--model-version") { Description = "Version recorded in the model metadata.", DefaultValueFactory = _ => "1" };

        var command = new Command("train", "Train a default model from the shared datasets and evaluate it on the test split.")
        {
            task, data, output, version,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(
            parse.GetValue(task)!, parse.GetValue(data), parse.GetValue(output)!, parse.GetValue(version) ?? "1", timeProvider, parse.InvocationConfiguration.Output)));
        return command;
    }

    internal static int Run(string task, DirectoryInfo? data, DirectoryInfo output, string version, TimeProvider timeProvider, TextWriter console)
    {
        string root;
        if (data is not null)
        {
            if (!data.Exists)
            {
                console.WriteLine($"error: datasets folder '{data.FullName}' does not exist.");
                return 2;
            }

            root = data.FullName;
        }
        else if (!DatasetLocator.TryFind(out root!))
        {
            console.WriteLine($"error: no datasets folder found; pass --data or set {DatasetLocator.EnvironmentVariable}.");
            return 2;
        }

        console.WriteLine($"Training '{task}' from {root} …");
        var result = DefaultTextModels.Train(task, root, timeProvider, version);
        Directory.CreateDirectory(output.FullName);
        var modelPath = Path.Combine(output.FullName, ModelFileName);
        result.Classifier.Save(modelPath);
        var reports = result.Reports.ToDictionary(p => p.Key, p => p.Value);
        File.WriteAllText(Path.Combine(output.FullName, EvaluationFileName), JsonSerializer.Serialize(reports, EvaluationJsonContext.Default.DictionaryStringClassificationReport));

        var inv = CultureInfo.InvariantCulture;
        console.WriteLine(string.Create(inv, $"{result.Dataset.Name}: {result.Dataset.Train.Count} training texts, {result.Classifier.ClassCount} classes, {result.Classifier.FeatureCount} feature rows, trained in {result.TrainingSeconds:F1} s"));
        foreach (var (name, report) in result.Reports)
        {
            console.WriteLine(string.Create(inv,
                $"  {name,-13} n={report.Count,6}  accuracy {report.Accuracy:P2}  macro-F1 {report.MacroF1:P2}  mean class accuracy {report.MacroRecall:P2}  ECE {report.ExpectedCalibrationError:F4}"));
        }

        console.WriteLine(string.Create(inv, $"Wrote {modelPath} ({new FileInfo(modelPath).Length / 1024.0 / 1024.0:F1} MB) and {EvaluationFileName}."));
        return 0;
    }
}
