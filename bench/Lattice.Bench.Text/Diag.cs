using System.Diagnostics;
using System.Text.Json;
using Lattice.ML.ModelFiles;

namespace Lattice.Bench.Text;

internal static class Diag
{
    public static int Run(string modelPath)
    {
        var w = Stopwatch.StartNew();
        var bytes = File.ReadAllBytes(modelPath);
        Console.WriteLine($"read {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        var crc = Crc32C.Compute(bytes);
        Console.WriteLine($"crc {w.Elapsed.TotalMilliseconds:F1} {crc}"); w.Restart();
        var len = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24));
        var reader = new Utf8JsonReader(bytes.AsSpan(32, len));
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        Console.WriteLine($"reader {w.Elapsed.TotalMilliseconds:F1} {tokens}"); w.Restart();
        using (var doc = JsonDocument.Parse(bytes.AsMemory(32, len)))
        {
            Console.WriteLine($"jsondoc {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        }

        var md = ModelMetadataJson.Read(bytes.AsMemory(32, len));
        Console.WriteLine($"deser {w.Elapsed.TotalMilliseconds:F1} {md!.Name}"); w.Restart();
        var file = ModelFile.Read(bytes);
        Console.WriteLine($"read-all {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        var options = Lattice.ML.Text.TextFeaturizerOptionsJson.FromJson(file.Metadata.Featurizer!.Value);
        Console.WriteLine($"options {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        var featurizer = new Lattice.ML.Text.TextFeaturizer(options);
        Console.WriteLine($"featurizer {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        var classifier = Lattice.ML.Text.TextClassifier.FromModelFile(file);
        Console.WriteLine($"classifier {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        classifier.PredictIndex("hello world");
        Console.WriteLine($"predict1 {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        classifier.PredictIndex("hello world again");
        Console.WriteLine($"predict2 {w.Elapsed.TotalMilliseconds:F1}"); w.Restart();
        return 0;
    }
}
