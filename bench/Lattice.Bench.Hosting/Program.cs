using System.Diagnostics;
using Lattice.Hosting;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Models;
using Lattice.Hosting.Telemetry;
using Lattice.Hosting.Text;
using Microsoft.Extensions.DependencyInjection;

// Is micro-batching worth it for a model? Compares, on one model version folder:
//   1. single thread: Predict item by item vs PredictBatch in batches of --batch;
//   2. --callers concurrent callers: inline Predict (the server's path with batching off) vs the MicroBatcher.
// Each measurement is repeated --rounds times, interleaved, and the median is printed. Wall-clock rates swing with
// whatever else runs on a shared machine, so the verdict uses process CPU time per item, which barely does.
// usage: Lattice.Bench.Hosting <model-version-folder> [--seconds 1] [--rounds 5] [--batch 32] [--callers 32]
if (args.Length < 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Lattice.Bench.Hosting <model-version-folder> [--seconds 1] [--rounds 5] [--batch 32] [--callers 32]");
    return 2;
}

var folder = Path.GetFullPath(args[0]);
var seconds = Option("--seconds", 1.0);
var rounds = (int)Option("--rounds", 5);
var batchSize = (int)Option("--batch", 32);
var callers = (int)Option("--callers", 32);
var adapter = new TextClassifierLoader().Load(
    new ModelVersionSource(Path.GetFileName(Path.GetDirectoryName(folder)!), Path.GetFileName(folder), folder), CancellationToken.None);
string[] corpus =
[
    "The acting was wonderful and the story kept me hooked until the very end.",
    "I want to cancel my order please",
    "Bonjour, comment allez-vous aujourd'hui ?",
    "WINNER!! You have won a free cruise. Call now to claim your prize",
    "The plot was dull and the ending made no sense at all.",
    "How do I reset my password?",
    "Das ist ein schöner Tag, nicht wahr?",
    "Are we still meeting for lunch tomorrow?",
    "An honest, moving and funny film with a great cast.",
    "My card was charged twice for the same purchase",
    "¿Dónde está la estación de tren más cercana?",
    "URGENT: your account is suspended, click here to verify",
];
var inputs = corpus.Select(ModelInput.FromText).ToArray();
var width = adapter.Signature.OutputWidth;

(double, double) SingleThreadPredict()
{
    var output = new float[width];
    return Rate(() =>
    {
        foreach (var input in inputs)
        {
            adapter.Predict(input, output);
        }

        return inputs.Length;
    });
}

var batch = Enumerable.Range(0, batchSize).Select(i => inputs[i % inputs.Length]).ToArray();
(double, double) SingleThreadBatch()
{
    var outputs = new float[batchSize * width];
    return Rate(() =>
    {
        adapter.PredictBatch(batch, outputs);
        return batchSize;
    });
}

(double, double) ConcurrentInline() => RateConcurrent((input, output) =>
{
    adapter.Predict(input, output);
    return Task.CompletedTask;
});

using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
using var telemetry = new HostingTelemetry(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
using var batcher = new MicroBatcher(adapter, "bench", "1", new BatchingOptions { MaxBatchSize = batchSize }, telemetry);
(double, double) ConcurrentBatcher() => RateConcurrent((input, output) => batcher.PredictAsync(input, output));

var results = new Dictionary<string, List<(double Rate, double CpuMicroseconds)>>();
for (var round = 0; round < rounds; round++)
{
    Add("1 thread, Predict per item", SingleThreadPredict());
    Add($"1 thread, PredictBatch of {batchSize}", SingleThreadBatch());
    Add($"{callers} callers, inline Predict (batching off)", ConcurrentInline());
    Add($"{callers} callers, micro-batcher (batching on)", ConcurrentBatcher());
}

Console.WriteLine($"model {folder} ({adapter.Signature.Platform}, {width} labels), {Environment.ProcessorCount} cores, median of {rounds} rounds of {seconds} s");
Console.WriteLine("| path | items/s (wall) | CPU µs per item |");
Console.WriteLine("|---|---:|---:|");
foreach (var (name, values) in results)
{
    Console.WriteLine($"| {name} | {Median(values.ConvertAll(v => v.Rate)):N0} | {Median(values.ConvertAll(v => v.CpuMicroseconds)):F2} |");
}

var keys = results.Keys.ToArray();
double Cpu(int key) => Median(results[keys[key]].ConvertAll(v => v.CpuMicroseconds));
Console.WriteLine($"batch path vs single path, CPU per item: {Cpu(1) / Cpu(0):F2}x (below 1 means the batch path is cheaper)");
Console.WriteLine($"micro-batcher vs inline, CPU per item ({callers} callers): {Cpu(3) / Cpu(2):F2}x");
return 0;

void Add(string name, (double Rate, double CpuMicroseconds) value)
{
    if (!results.TryGetValue(name, out var list))
    {
        results[name] = list = [];
    }

    list.Add(value);
}

(double Rate, double CpuMicroseconds) Rate(Func<int> work)
{
    var items = 0L;
    var cpu = Environment.CpuUsage.TotalTime;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        items += work();
    }

    return (items / watch.Elapsed.TotalSeconds, (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / items);
}

(double Rate, double CpuMicroseconds) RateConcurrent(Func<ModelInput, float[], Task> call)
{
    var items = 0L;
    var cpu = Environment.CpuUsage.TotalTime;
    var watch = Stopwatch.StartNew();
    var tasks = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
    {
        var output = new float[width];
        var count = 0L;
        for (var i = caller; watch.Elapsed.TotalSeconds < seconds; i++)
        {
            await call(inputs[i % inputs.Length], output);
            count++;
        }

        Interlocked.Add(ref items, count);
    })).ToArray();
    Task.WaitAll(tasks);
    return (items / watch.Elapsed.TotalSeconds, (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / items);
}

double Option(string name, double fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? double.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}
