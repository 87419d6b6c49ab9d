using System.Text;
using Lattice.ML.Text;

// Whole-process prediction over a file, one text per line, one label per output line: the counterpart
// of `fasttext predict model.bin file` in bench/text.sh. Deliberately lean (raw handles, one reusable
// buffer, no per-line strings) because on test sets of a few thousand lines process start-up is most
// of what is measured. LATTICE_TIMING=1 prints phase CPU times to stderr.
if (args is not [var modelPath, var inputPath])
{
    Console.Error.WriteLine("usage: Lattice.Bench.TextPredict <model.lattice> <texts.txt>");
    return 2;
}

var timing = Environment.GetEnvironmentVariable("LATTICE_TIMING") == "1";
var phases = timing ? new StringBuilder() : null;
var last = TimeSpan.Zero;
void Mark(string phase)
{
    if (phases is not null)
    {
        var now = Environment.CpuUsage.TotalTime;
        phases.Append(phase).Append(' ').Append((int)(now - last).TotalMilliseconds).Append(" ms, ");
        last = now;
    }
}

Mark("runtime");
var classifier = TextClassifier.Load(modelPath);
Mark("load");

var labels = new byte[classifier.ClassCount][];
for (var i = 0; i < labels.Length; i++)
{
    labels[i] = Encoding.UTF8.GetBytes("__label__" + classifier.Labels[i] + "\n");
}

var input = File.ReadAllBytes(inputPath);
var chars = new char[4096];
var output = new byte[1 << 16];
var pending = 0;
var count = 0;
using var stdout = Console.OpenStandardOutput();
var start = 0;
while (start < input.Length)
{
    var end = Array.IndexOf(input, (byte)'\n', start);
    if (end < 0)
    {
        end = input.Length;
    }

    var line = input.AsSpan(start, end - start);
    if (chars.Length < line.Length)
    {
        chars = new char[line.Length * 2];
    }

    var length = Encoding.UTF8.GetChars(line, chars);
    var label = labels[classifier.PredictIndex(chars.AsSpan(0, length))];
    if (pending + label.Length > output.Length)
    {
        stdout.Write(output, 0, pending);
        pending = 0;
    }

    label.CopyTo(output, pending);
    pending += label.Length;
    start = end + 1;
    if (++count == 1)
    {
        Mark("first");
    }
}

stdout.Write(output, 0, pending);
Mark($"{count} predictions");
if (phases is not null)
{
    Console.Error.WriteLine(phases.ToString());
}

return 0;
