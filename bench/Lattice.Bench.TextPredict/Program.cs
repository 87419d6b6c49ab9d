using System.Diagnostics;
using System.Text;
using Lattice.ML.ModelFiles;
using Lattice.ML.Text;

// Whole-process prediction over a file, one text per line, one label per output line: the counterpart
// of `fasttext predict model.bin file` in bench/text.sh. LATTICE_TIMING=1 prints phase CPU times to stderr.
if (args is not [var modelPath, var inputPath])
{
    Console.Error.WriteLine("usage: Lattice.Bench.TextPredict <model.lattice> <texts.txt>");
    return 2;
}

var timing = Environment.GetEnvironmentVariable("LATTICE_TIMING") == "1";
var phases = new List<(string, double)>();
var last = Environment.CpuUsage.TotalTime;
void Mark(string phase)
{
    if (timing)
    {
        var now = Environment.CpuUsage.TotalTime;
        phases.Add((phase, (now - last).TotalMilliseconds));
        last = now;
    }
}

Mark("runtime");
if (Environment.GetEnvironmentVariable("LATTICE_DIAG") == "1")
{
    var bytes = File.ReadAllBytes(modelPath);
    Mark("readbytes");
    var len = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24));
    using (var doc = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(32, len)))
    {
        Mark("jsondoc");
        var created = doc.RootElement.GetProperty("createdAt").GetString()!;
        _ = DateTimeOffset.Parse(created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind);
        Mark("date");
        _ = Enum.TryParse<TermWeighting>("Count", true, out var w) && Enum.IsDefined(w);
        Mark("enum");
    }
}

var file = ModelFile.Load(modelPath);
Mark("read");
var classifier = TextClassifier.FromModelFile(file);
Mark("build");
var labels = classifier.Labels.Select(l => Encoding.UTF8.GetBytes("__label__" + l + "\n")).ToArray();
using (var output = new BufferedStream(Console.OpenStandardOutput(), 1 << 16))
using (var reader = new StreamReader(inputPath, Encoding.UTF8, false, 1 << 16))
{
    var first = true;
    while (reader.ReadLine() is { } line)
    {
        output.Write(labels[classifier.PredictIndex(line)]);
        if (first)
        {
            Mark("first");
            first = false;
        }
    }
}

Mark("rest");
if (timing)
{
    Console.Error.WriteLine(string.Join(", ", phases.Select(p => $"{p.Item1} {p.Item2:F0} ms")) + $" (since start {(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds:F0} ms wall)");
}

return 0;
