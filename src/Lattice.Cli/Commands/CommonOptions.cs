using System.CommandLine;
using Lattice.Cli.Platform;

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

    public static Option<string?> ApiKey() => new("--key")
    {
        Description = "API key (default: $LATTICE_API_KEY, then the admin key lattice up created).",
    };
}
