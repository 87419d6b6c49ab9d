using Lattice.Bench.Text;

return args switch
{
    ["experiment", var task, .. var rest] => Experiment.Run(task, rest),
    ["predict", var model, var input] => Predict.Run(model, input),
    ["profile", var model, var input] => Profile.Run(model, input),
    ["diag", var model] => Diag.Run(model),
    ["unicode-table", var path] => UnicodeTableGenerator.Run(path),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Lattice.Bench.Text experiment <task> [key=value ...]");
    return 2;
}
