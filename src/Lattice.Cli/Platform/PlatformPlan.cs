namespace Lattice.Cli.Platform;

/// <summary>The validated, resolved form of lattice.yaml: every process to run, with its port and environment.</summary>
public sealed class PlatformPlan
{
    public required string RepositoryRoot { get; init; }

    public required string DataFolder { get; init; }

    public required string Configuration { get; init; }

    public required string EnvironmentName { get; init; }

    public required TimeSpan ReadyTimeout { get; init; }

    public required TimeSpan InitialBackoff { get; init; }

    public required TimeSpan MaxBackoff { get; init; }

    public required TimeSpan ResetAfter { get; init; }

    public required LogRotation LogRotation { get; init; }

    public required IReadOnlyList<ComponentPlan> Components { get; init; }

    public ComponentPlan? Gateway => Components.FirstOrDefault(c => c.Kind == ComponentKind.Gateway);

    public Uri GatewayUrl => Gateway?.Replicas[0].Url ?? new Uri("http://127.0.0.1:5000/");
}

/// <summary>When a log file is rotated (<see cref="MaxBytes"/>) and how many rotated files are kept.</summary>
public sealed record LogRotation(long MaxBytes, int MaxFiles)
{
    public const int DefaultMaxFiles = 3;

    /// <summary>The highest <see cref="MaxFiles"/> lattice.yaml may set.</summary>
    public const int MaxMaxFiles = 100;

    public static LogRotation Default { get; } = new(10 * ByteSizes.MiB, DefaultMaxFiles);
}

public enum ComponentKind
{
    Service,
    Orchestrator,
    Gateway,
}

/// <summary>One component (a service, the orchestrator or the gateway) and its replicas.</summary>
public sealed class ComponentPlan
{
    public required string Name { get; init; }

    public required ComponentKind Kind { get; init; }

    /// <summary>Absolute project folder.</summary>
    public required string ProjectFolder { get; init; }

    /// <summary>Project (and assembly) name, e.g. Lattice.Services.Sentiment.</summary>
    public required string ProjectName { get; init; }

    public required IReadOnlyList<ReplicaPlan> Replicas { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public string AssemblyPath(string configuration) =>
        Path.Combine(ProjectFolder, "bin", configuration, "net10.0", ProjectName + ".dll");
}

/// <summary>One process: replica <see cref="Index"/> of a component on <see cref="Port"/>.</summary>
public sealed record ReplicaPlan(string Component, int Index, int Port)
{
    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>Display and log-file name, e.g. <c>sentiment</c> or <c>sentiment#2</c>.</summary>
    public string DisplayName => Index == 0 ? Component : $"{Component}#{Index}";
}
