using Lattice.Bench.Text;

return args switch
{
    ["experiment", var task, .. var rest] => Experiment.Run(task, rest),
    ["predict", var model, var input] => Predict.Run(model, input),
    ["profile", var model, var input] => Profile.Run(model, input),
    ["diag", var model] => Diag.Run(model),
    ["unicode-table", var path] => UnicodeTableGenerator.Run(path),
    ["export", var task, var directory] => FastTextExport.Run(task, directory),
    ["score", var gold, var predicted] => Score.Run(gold, predicted),
    ["info", var model] => Info.Run(model),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Lattice.Bench.Text experiment <task> [key=value ...]");
    return 2;
}
