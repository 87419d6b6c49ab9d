using Lattice.Cli.Platform;

namespace Lattice.Cli.Tests.Support;

/// <summary>Platform plans for tests that need one without a lattice.yaml; timings are irrelevant to them.</summary>
internal static class TestPlans
{
    public static PlatformPlan For(string root, params ComponentPlan[] components) => new()
    {
        RepositoryRoot = root,
        DataFolder = Path.Combine(root, "data"),
        Configuration = "Release",
        EnvironmentName = "Production",
        ReadyTimeout = TimeSpan.FromSeconds(1),
        InitialBackoff = TimeSpan.FromSeconds(1),
        MaxBackoff = TimeSpan.FromSeconds(1),
        ResetAfter = TimeSpan.FromSeconds(1),
        Components = components,
    };
}
