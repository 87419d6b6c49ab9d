using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;

namespace Lattice.Cli.Commands;

/// <summary><c>lattice up</c>: start and supervise the whole platform until Ctrl+C or SIGTERM.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var replicas = new Option<string[]>("--replicas", "-r")
        {
            Description = "Replica counts overriding lattice.yaml, e.g. --replicas sentiment=3 intent=2.",
            AllowMultipleArgumentsPerToken = true,
        };
        var noBuild = new Option<bool>("--no-build") { Description = "Fail instead of building stale or missing outputs." };
        var configuration = new Option<string?>("--configuration") { Description = "Debug or Release outputs (default: lattice.yaml, then the CLI's own)." };
        var command = new Command("up", "Start every service, the orchestrator and the gateway, and keep them running.")
        {
            config, replicas, noBuild, configuration,
        };
        command.SetAction(async (parse, _) =>
        {
            PlatformPlan plan;
            try
            {
                plan = PlatformConfigLoader.Load(parse.GetValue(config)!, ParseReplicas(parse.GetValue(replicas) ?? []), parse.GetValue(configuration));
            }
            catch (PlatformConfigException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }

            // Ctrl+C and SIGTERM stop the children cleanly instead of killing this process.
            using var stopping = new CancellationTokenSource();
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stopping.Cancel();
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
            var supervisor = new Supervisor(plan, CommonOptions.Terminal(), TimeProvider.System);
            return await supervisor.RunAsync(!parse.GetValue(noBuild), stopping.Token);
        });
        return command;
    }

    internal static Dictionary<string, int> ParseReplicas(IEnumerable<string> values)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var value in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var parts = value.Split('=', 2);
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                throw new PlatformConfigException($"--replicas takes name=count, e.g. sentiment=3, not '{value}'");
            }

            result[parts[0]] = count;
        }

        return result;
    }
}
