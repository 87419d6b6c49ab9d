namespace Lattice.Cli.Platform;

/// <summary>
/// <c>lattice.yaml</c>: what <c>lattice up</c> starts. Every field is documented in the shipped
/// lattice.yaml; an unknown field or an invalid value stops <c>lattice up</c> with the line it is on.
/// </summary>
public sealed class PlatformConfig
{
    /// <summary>Folder for logs, state, keys and stores; relative to the folder holding lattice.yaml.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>Build configuration whose outputs are started (Debug or Release); default: the CLI's own.</summary>
    public string? Configuration { get; set; }

    /// <summary>Environment name passed to every process (ASPNETCORE_ENVIRONMENT).</summary>
    public string Environment { get; set; } = "Production";

    /// <summary>How long to wait for every replica's /health/ready before giving up.</summary>
    public string ReadyTimeout { get; set; } = "180s";

    public RestartConfig Restart { get; set; } = new();

    public LogsConfig Logs { get; set; } = new();

    public const string DefaultGatewayProject = "src/Lattice.Gateway";
    public const int DefaultGatewayPort = 5000;
    public const string DefaultOrchestratorProject = "src/Lattice.Orchestrator";
    public const int DefaultOrchestratorPort = 5010;

    /// <summary>
    /// A <c>gateway:</c> section keeps the defaults of the fields it leaves out (PlatformConfigLoader fills them in:
    /// the deserializer makes a fresh object for a section that is present).
    /// </summary>
    public ComponentConfig Gateway { get; set; } = new() { Project = DefaultGatewayProject, Port = DefaultGatewayPort };

    public ComponentConfig Orchestrator { get; set; } = new() { Project = DefaultOrchestratorProject, Port = DefaultOrchestratorPort };

    /// <summary>The AI services, by logical name (the name pipelines and gateway routes use).</summary>
    public Dictionary<string, ComponentConfig> Services { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One process kind: its project, first port and replica count.</summary>
public sealed class ComponentConfig
{
    /// <summary>Project folder relative to the repository root, e.g. src/Services/Lattice.Services.Sentiment.</summary>
    public string Project { get; set; } = string.Empty;

    /// <summary>Port of replica 0; replica i listens on Port + 100 × i, on 127.0.0.1.</summary>
    public int Port { get; set; }

    /// <summary>How many processes to run (1–20); the gateway balances across them.</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>False leaves the component out without deleting its entry.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Extra environment variables (configuration keys use __ for :).</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>How a process that exits is restarted.</summary>
public sealed class RestartConfig
{
    /// <summary>Delay before the first restart; doubled after each quick crash.</summary>
    public string InitialBackoff { get; set; } = "500ms";

    /// <summary>Upper bound for the delay.</summary>
    public string MaxBackoff { get; set; } = "30s";

    /// <summary>A process that stayed up this long is considered healthy again: its next restart is quick.</summary>
    public string ResetAfter { get; set; } = "60s";
}

/// <summary>How the log files under the data folder are rotated, as Docker's json-file driver does (max-size, max-file).</summary>
public sealed class LogsConfig
{
    /// <summary>A log file that a line would take past this size is rotated first: 64KiB to 16GiB, such as 10MiB.</summary>
    public string MaxSize { get; set; } = "10MiB";

    /// <summary>Rotated files kept per log (x.log.1 newest); 0 keeps none: a full file is deleted.</summary>
    public int MaxFiles { get; set; } = LogRotation.DefaultMaxFiles;
}
