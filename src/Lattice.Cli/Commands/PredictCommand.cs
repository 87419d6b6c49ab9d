using System.CommandLine;

namespace Lattice.Cli.Commands;

/// <summary><c>lattice predict &lt;service&gt; &lt;text&gt;</c>: one prediction through the gateway.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var service = new Argument<string>("service") { Description = "Service name: language, sentiment, intent, spam, ..." };
        var text = new Argument<string>("text") { Description = "The text to classify." };
        var config = CommonOptions.Config();
        var gateway = CommonOptions.Gateway();
        var key = CommonOptions.ApiKey();
        var command = new Command("predict", "Classify a text with one service, through the gateway.") { service, text, config, gateway, key };
        command.SetAction((parse, cancellationToken) => GatewayClient.PostToNamedAsync(
            parse.GetValue(config)!, parse.GetValue(gateway), parse.GetValue(key), "service", parse.GetValue(service)!,
            segment => $"api/{segment}/v1/{segment}", new { text = parse.GetValue(text) }, cancellationToken));
        return command;
    }
}
