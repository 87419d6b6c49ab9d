using System.Globalization;
using Lattice.ML.Evaluation;

namespace Lattice.Bench.Text;

/// <summary>Scores predicted labels (lines of <c>__label__X</c>) against gold labels: accuracy, macro-F1,
/// mean per-class accuracy, printed as three numbers for the benchmark script.</summary>
internal static class Score
{
    public static int Run(string goldPath, string predictedPath)
    {
        var gold = File.ReadAllLines(goldPath);
        var predicted = File.ReadAllLines(predictedPath).Select(l => l.StartsWith("__label__", StringComparison.Ordinal) ? l[9..] : l).ToArray();
        if (gold.Length != predicted.Length)
        {
            Console.Error.WriteLine($"{goldPath} has {gold.Length} lines but {predictedPath} has {predicted.Length}.");
            return 1;
        }

        var labels = gold.Concat(predicted).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var evaluator = new ClassificationEvaluator(labels);
        var onehot = new float[labels.Count];
        for (var i = 0; i < gold.Length; i++)
        {
            Array.Clear(onehot);
            onehot[index[predicted[i]]] = 1f;
            evaluator.Add(index[gold[i]], onehot);
        }

        var report = evaluator.ToReport();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Accuracy:F4} {report.MacroF1:F4} {report.MacroRecall:F4}"));
        return 0;
    }
}
