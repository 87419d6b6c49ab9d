using System.Globalization;
using System.Text;
using Lattice.ML.Datasets;

namespace Lattice.Bench.Text;

/// <summary>Writes one task's splits for the fastText comparison: fastText-format training and test files
/// (with the preprocessing the fastText tutorial recommends: punctuation split off, lower-cased), the raw
/// test texts both programs predict for the speed run, and the gold labels.</summary>
internal static class FastTextExport
{
    public static int Run(string task, string directory)
    {
        var dataset = TextDatasets.Load(task);
        Directory.CreateDirectory(directory);
        WriteFastText(Path.Combine(directory, "train.ft"), dataset.Train);
        if (dataset.Validation is { } validation)
        {
            WriteFastText(Path.Combine(directory, "validation.ft"), validation);
        }

        WriteTest(directory, "test", dataset.Test);
        foreach (var (name, examples) in dataset.ExtraTests)
        {
            WriteTest(directory, name, examples);
        }

        File.WriteAllText(Path.Combine(directory, "info.txt"), string.Create(CultureInfo.InvariantCulture,
            $"{dataset.Name}\t{dataset.Labels.Count}\t{string.Join(' ', dataset.ExtraTests.Keys)}\n"));
        return 0;
    }

    private static void WriteTest(string directory, string name, IReadOnlyList<LabeledText> examples)
    {
        File.WriteAllLines(Path.Combine(directory, name + ".txt"), examples.Select(e => OneLine(e.Text)));
        File.WriteAllLines(Path.Combine(directory, name + ".ft.txt"), examples.Select(e => Preprocess(e.Text)));
        File.WriteAllLines(Path.Combine(directory, name + ".labels"), examples.Select(e => e.Label));
    }

    private static void WriteFastText(string path, IReadOnlyList<LabeledText> examples) =>
        File.WriteAllLines(path, examples.Select(e => $"__label__{e.Label} {Preprocess(e.Text)}"));

    private static string OneLine(string text) => text.Replace('\r', ' ').Replace('\n', ' ');

    /// <summary>fastText tutorial: <c>sed -e "s/\([.\!?,'/()]\)/ \1 /g" | tr "[:upper:]" "[:lower:]"</c>.</summary>
    private static string Preprocess(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in OneLine(text))
        {
            if (c is '.' or '!' or '?' or ',' or '\'' or '/' or '(' or ')')
            {
                builder.Append(' ').Append(c).Append(' ');
            }
            else
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return string.Join(' ', builder.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
