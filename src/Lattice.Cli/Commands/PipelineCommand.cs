using System.CommandLine;

namespace Lattice.Cli.Commands;

/// <summary><c>lattice pipeline run &lt;name&gt; &lt;text&gt;</c>: one pipeline run through the gateway.</summary>
internal static class PipelineCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Pipeline name, e.g. support-triage." };
        var text = new Argument<string>("text") { Description = "The text input (sent as {\"text\": ...})." };
        var config = CommonOptions.Config();
        var gateway = CommonOptions.Gateway();
        var key = CommonOptions.ApiKey();
        var run = new Command("run", "Run a pipeline on a text, through the gateway.") { name, text, config, gateway, key };
        run.SetAction((parse, cancellationToken) => GatewayClient.PostToNamedAsync(
            parse.GetValue(config)!, parse.GetValue(gateway), parse.GetValue(key), "pipeline", parse.GetValue(name)!,
            segment => $"api/pipelines/{segment}", new { text = parse.GetValue(text) }, cancellationToken));
        return new Command("pipeline", "Work with pipelines.") { run };
    }
}
