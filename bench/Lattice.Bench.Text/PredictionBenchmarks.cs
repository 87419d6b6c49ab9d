using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lattice.ML.Text;

namespace Lattice.Bench.Text;

/// <summary>Steady-state cost and allocation of one prediction with each shipped model
/// (MemoryDiagnoser: the Allocated column must read 0 B / "-").</summary>
[MemoryDiagnoser]
public class PredictionBenchmarks
{
    private readonly Dictionary<string, TextClassifier> _models = [];
    private float[] _probabilities = [];

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "";

    public static IEnumerable<string> Cases => ["language", "sentiment", "intent", "spam"];

    private static readonly Dictionary<string, string> Texts = new()
    {
        ["language"] = "Die Würde des Menschen ist unantastbar. Sie zu achten und zu schützen ist Verpflichtung aller staatlichen Gewalt.",
        ["sentiment"] = "a gorgeous , witty , seductive movie that never loses its sense of fun .",
        ["intent"] = "I still have not received my new card, I ordered over a week ago.",
        ["spam"] = "URGENT! You have won a 1 week FREE membership in our £100,000 Prize Jackpot! Txt CLAIM to 81010",
    };

    [GlobalSetup]
    public void Setup()
    {
        var model = TextClassifier.Load(Path.Combine(RepositoryRoot(), "models", Case, "1", "model.lattice"));
        _models[Case] = model;
        _probabilities = new float[model.ClassCount];
    }

    /// <summary>The hosting layer's hot path: span in, caller's buffer out.</summary>
    [Benchmark]
    public int Predict() => _models[Case].Predict(Texts[Case], _probabilities);

    public static void Run()
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkRunner.Run<PredictionBenchmarks>(config);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lattice.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Lattice.slnx not found above " + AppContext.BaseDirectory);
    }
}
