using Lattice.Bench.Text;

return args switch
{
    ["experiment", var task, .. var rest] => Experiment.Run(task, rest),
    ["predict", var model, var input] => Predict.Run(model, input),
    ["profile", var model, var input] => Profile.Run(model, input),
    ["unicode-table", var path] => UnicodeTableGenerator.Run(path),
    ["export", var task, var directory] => FastTextExport.Run(task, directory),
    ["score", var gold, var predicted] => Score.Run(gold, predicted),
    ["info", var model] => Info.Run(model),
    ["alloc"] => RunAllocationBenchmark(),
    _ => Usage(),
};

static int RunAllocationBenchmark()
{
    PredictionBenchmarks.Run();
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: Lattice.Bench.Text <command>
          experiment <task> [key=value ...] [cv=k] [save=path]   train a preset with overrides, print test figures
          alloc                                                  BenchmarkDotNet MemoryDiagnoser run of Predict (shipped models)
          export <task> <dir> | score <gold> <pred> | info <model>  helpers for bench/text.sh
          profile <model> <texts>                                time featurisation, encoding and scoring
          unicode-table <path>                                   regenerate src/Lattice.ML/Text/unicode-map.bin
        """);
    return 2;
}
