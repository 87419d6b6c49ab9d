using System.Globalization;
using Lattice.ML.ModelFiles;

namespace Lattice.Bench.Text;

/// <summary>Prints a model's training seconds (from its metadata) for the benchmark script.</summary>
internal static class Info
{
    public static int Run(string modelPath)
    {
        var metadata = ModelFile.Load(modelPath).Metadata;
        Console.WriteLine(metadata.Metrics.TryGetValue("trainingSeconds", out var seconds) ? seconds.ToString("F1", CultureInfo.InvariantCulture) : "?");
        return 0;
    }
}
