using System.Text;
using Lattice.ML.Text;
using Microsoft.Win32.SafeHandles;

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
var stop = Environment.GetEnvironmentVariable("LATTICE_STOP");
if (stop == "start")
{
    return 0;
}

var file = Lattice.ML.ModelFiles.ModelFile.Load(modelPath);
if (stop == "read")
{
    return 0;
}

var classifier = TextClassifier.FromModelFile(file);
Mark("load");
if (stop == "build")
{
    return 0;
}

if (stop == "one")
{
    classifier.PredictIndex("hello world");
    return 0;
}

var labels = new byte[classifier.ClassCount][];
for (var i = 0; i < labels.Length; i++)
{
    labels[i] = Encoding.UTF8.GetBytes("__label__" + classifier.Labels[i] + "\n");
}

byte[] input;
using (var handle = File.OpenHandle(inputPath))
{
    input = new byte[RandomAccess.GetLength(handle)];
    var read = 0;
    while (read < input.Length && RandomAccess.Read(handle, input.AsSpan(read), read) is var n and > 0)
    {
        read += n;
    }
}

var chars = new char[4096];
var output = new byte[1 << 16];
var pending = 0;
var count = 0;
// A raw stream on descriptor 1: System.Console's initialisation is not needed to write bytes.
using var stdout = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
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
