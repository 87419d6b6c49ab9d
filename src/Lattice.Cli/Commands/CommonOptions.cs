using System.CommandLine;
using Lattice.Cli.Platform;
using Spectre.Console;

namespace Lattice.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string> Config() => new("--config", "-c")
    {
        Description = "Path to lattice.yaml.",
        DefaultValueFactory = _ => PlatformConfigLoader.DefaultFileName,
    };

    public static Option<string?> Gateway() => new("--gateway")
    {
        Description = "Gateway URL (default: the one lattice up started, else http://127.0.0.1:5000).",
    };

    /// <summary>The console to draw on: colours and live displays only on a terminal, plain text into a pipe or file.</summary>
    public static IAnsiConsole Terminal() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        Interactive = Console.IsOutputRedirected ? InteractionSupport.No : InteractionSupport.Detect,
    });

    public static Option<string?> ApiKey() => new("--key")
    {
        Description = "API key (default: $LATTICE_API_KEY, then the admin key lattice up created).",
    };
}
