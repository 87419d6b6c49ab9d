using System.CommandLine;
using Lattice.Cli.Commands;

var root = new RootCommand("lattice: run AI capabilities as independent services behind one gateway.")
{
    UpCommand.Create(),
    StatusCommand.Create(),
    PredictCommand.Create(),
    PipelineCommand.Create(),
    TrainCommand.Create(TimeProvider.System),
};

// lattice up handles SIGINT/SIGTERM itself, so its children get a clean stop rather than a 2 s cut-off.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
