using System.CommandLine;
using Lattice.Cli.Commands;

var root = new RootCommand("Lattice: AI capabilities as independent microservices.")
{
    TrainCommand.Create(TimeProvider.System),
};

return await root.Parse(args).InvokeAsync();
