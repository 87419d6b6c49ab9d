using System.Text;
using Lattice.ML.Text;

namespace Lattice.Bench.Text;

/// <summary>Whole-process prediction over a file, one text per line, one label per output line: the
/// counterpart of <c>fasttext predict model.bin file</c> for the throughput comparison.</summary>
internal static class Predict
{
    public static int Run(string modelPath, string inputPath)
    {
        var classifier = TextClassifier.Load(modelPath);
        var labels = classifier.Labels.Select(l => Encoding.UTF8.GetBytes("__label__" + l + "\n")).ToArray();
        using var output = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
        using var reader = new StreamReader(inputPath, Encoding.UTF8, false, 1 << 16);
        while (reader.ReadLine() is { } line)
        {
            output.Write(labels[classifier.PredictIndex(line)]);
        }

        return 0;
    }
}
