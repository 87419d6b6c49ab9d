using Lattice.Cli.Platform;

namespace Lattice.Cli.Tests.Support;

/// <summary>Platform plans for tests that need one without a lattice.yaml.</summary>
internal static class TestPlans
{
    public static PlatformPlan For(string root, params ComponentPlan[] components) =>
        For(root, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), components);

    /// <summary>A plan for tests that do run processes: how long they may take to be ready, and the restart delay.</summary>
    public static PlatformPlan For(string root, TimeSpan readyTimeout, TimeSpan backoff, params ComponentPlan[] components) => new()
    {
        RepositoryRoot = root,
        DataFolder = Path.Combine(root, "data"),
        Configuration = "Release",
        EnvironmentName = "Production",
        ReadyTimeout = readyTimeout,
        InitialBackoff = backoff,
        MaxBackoff = backoff,
        ResetAfter = TimeSpan.FromSeconds(1),
        Components = components,
    };
}
