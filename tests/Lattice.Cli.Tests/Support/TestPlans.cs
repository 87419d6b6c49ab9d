using Lattice.Cli.Platform;

namespace Lattice.Cli.Tests.Support;

/// <summary>Platform plans for tests that need one without a lattice.yaml.</summary>
internal static class TestPlans
{
    public static PlatformPlan For(string root, params ComponentPlan[] components) =>
        For(root, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), components);

    /// <summary>A plan for tests that do run processes: how long they may take to be ready, and the restart delay.</summary>
    public static PlatformPlan For(string root, TimeSpan readyTimeout, TimeSpan backoff, params ComponentPlan[] components) =>
        Plan(root, readyTimeout, backoff, backoff, TimeSpan.FromSeconds(1), components);

    /// <summary>A plan for restart tests: the delay starts at <paramref name="initial"/> and doubles up to <paramref name="max"/>.</summary>
    public static PlatformPlan Restarting(string root, TimeSpan initial, TimeSpan max, TimeSpan resetAfter, params ComponentPlan[] components) =>
        Plan(root, TimeSpan.FromMinutes(1), initial, max, resetAfter, components);

    private static PlatformPlan Plan(string root, TimeSpan readyTimeout, TimeSpan initial, TimeSpan max, TimeSpan resetAfter, ComponentPlan[] components) => new()
    {
        RepositoryRoot = root,
        DataFolder = Path.Combine(root, "data"),
        Configuration = "Release",
        EnvironmentName = "Production",
        ReadyTimeout = readyTimeout,
        InitialBackoff = initial,
        MaxBackoff = max,
        ResetAfter = resetAfter,
        LogRotation = LogRotation.Default,
        Components = components,
    };
}
