using System.Diagnostics;
using System.Xml.Linq;
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

        // Each project of the closure against its own assembly in the component's output folder: a referenced
        // project whose change leaves its public surface alone is rebuilt and copied there, while the component's
        // own assembly is not recompiled (reference assemblies), so one timestamp for all would always look stale.
        var output = Path.GetDirectoryName(assembly)!;
        foreach (var folder in ProjectFolders(Path.Combine(component.ProjectFolder, component.ProjectName + ".csproj")))
        {
            var project = Directory.EnumerateFiles(folder, "*.csproj").FirstOrDefault();
            var built = project is null ? null : Path.Combine(output, Path.GetFileNameWithoutExtension(project) + ".dll");
            if (built is null || !File.Exists(built))
            {
                return true;
            }

            var builtAt = File.GetLastWriteTimeUtc(built);
            if (Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories).Where(IsSource).Any(file => File.GetLastWriteTimeUtc(file) > builtAt))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The folder of a project and of every project it references, following ProjectReference items.</summary>
    internal static IReadOnlySet<string> ProjectFolders(string projectFile)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(projectFile)]);
        while (pending.Count > 0)
        {
            var project = pending.Pop();
            var folder = Path.GetDirectoryName(project)!;
            if (!File.Exists(project) || !folders.Add(folder))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                if (reference.Attribute("Include")?.Value is { } include)
                {
                    pending.Push(Path.GetFullPath(Path.Combine(folder, include.Replace('\\', Path.DirectorySeparatorChar))));
                }
            }
        }

        return folders;
    }

    private static bool IsSource(string file)
    {
        var separator = Path.DirectorySeparatorChar;
        return (file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal) || file.EndsWith(".json", StringComparison.Ordinal))
            && !file.Contains($"{separator}bin{separator}", StringComparison.Ordinal)
            && !file.Contains($"{separator}obj{separator}", StringComparison.Ordinal);
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

            var (exitCode, output) = await RunAsync(info, cancellationToken);
            if (exitCode != 0)
            {
                return (false, $"dotnet build {component.ProjectName} failed:{Environment.NewLine}{output}");
            }
        }

        return (true, string.Empty);
    }

    /// <summary>
    /// Runs a command to its end and returns its exit code and output (stdout, then stderr). On cancellation the
    /// command's whole process tree is killed before this throws: a build (and the compiler servers and MSBuild
    /// nodes it starts) must not outlive a Ctrl+C.
    /// </summary>
    internal static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo info, CancellationToken cancellationToken)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }

        return (process.ExitCode, await output + await error);
    }
}
