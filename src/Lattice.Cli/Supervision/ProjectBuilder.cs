using System.Diagnostics;
using Lattice.Cli.Platform;

namespace Lattice.Cli.Supervision;

/// <summary>Builds a component only when its output is missing or older than its sources.</summary>
internal static class ProjectBuilder
{
    public static bool IsStale(PlatformPlan plan, ComponentPlan component)
    {
        var assembly = component.AssemblyPath(plan.Configuration);
        if (!File.Exists(assembly))
        {
            return true;
        }

        var built = File.GetLastWriteTimeUtc(assembly);
        // Any source of the component or of the libraries beside it (the src/ folder above it) newer than the output.
        var sources = SourceRoot(component.ProjectFolder);
        return Directory.EnumerateFiles(sources, "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Any(f => File.GetLastWriteTimeUtc(f) > built);
    }

    private static string SourceRoot(string projectFolder)
    {
        for (var directory = new DirectoryInfo(projectFolder); directory is not null; directory = directory.Parent)
        {
            if (directory.Name == "src")
            {
                return directory.FullName;
            }
        }

        return projectFolder;
    }

    /// <summary>Runs <c>dotnet build</c> for each project given; returns the failing project's output on failure.</summary>
    public static async Task<(bool Ok, string Output)> BuildAsync(PlatformPlan plan, IEnumerable<ComponentPlan> components, CancellationToken cancellationToken)
    {
        foreach (var component in components)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = plan.RepositoryRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "build", component.ProjectFolder, "-c", plan.Configuration, "--nologo", "-v", "q" })
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                return (false, $"dotnet build {component.ProjectName} failed:{Environment.NewLine}{await output}{await error}");
            }
        }

        return (true, string.Empty);
    }
}
