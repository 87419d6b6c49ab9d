using System.Diagnostics.CodeAnalysis;

namespace Lattice.ML.Datasets;

/// <summary>Finds the shared datasets folder (<c>shared/datasets</c>, a sibling of the repository clone).</summary>
/// <remarks>
/// Order: the <c>LATTICE_DATASETS</c> environment variable if set; otherwise walk up from the current
/// directory, then from <see cref="AppContext.BaseDirectory"/>, and at each level look for
/// <c>shared/datasets</c>. That works from any worktree, from test output folders and in CI, where the
/// clone sits next to <c>shared</c>. Data is never copied into the repository.
/// </remarks>
public static class DatasetLocator
{
    /// <summary>Environment variable that overrides the search with an explicit folder.</summary>
    public const string EnvironmentVariable = "LATTICE_DATASETS";

    /// <summary>Returns the datasets folder or throws with a message that says how to set it.</summary>
    public static string Find() =>
        TryFind(out var root)
            ? root
            : throw new DirectoryNotFoundException(
                $"The shared datasets folder was not found. Set {EnvironmentVariable} to it, or place the repository next to 'shared/datasets'.");

    /// <summary>Looks for the datasets folder without throwing.</summary>
    public static bool TryFind([NotNullWhen(true)] out string? root) =>
        TryFind(Environment.GetEnvironmentVariable(EnvironmentVariable), [Environment.CurrentDirectory, AppContext.BaseDirectory], out root);

    /// <summary>Returns the full path of a file or folder below the datasets folder, e.g. <c>Resolve("spam", "SMSSpamCollection")</c>.</summary>
    public static string Resolve(params ReadOnlySpan<string> relative)
    {
        var path = Find();
        foreach (var part in relative)
        {
            path = Path.Combine(path, part);
        }

        return File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new FileNotFoundException($"Dataset path '{path}' does not exist.", path);
    }

    internal static bool TryFind(string? environmentValue, IEnumerable<string> startDirectories, [NotNullWhen(true)] out string? root)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            root = Directory.Exists(environmentValue) ? Path.GetFullPath(environmentValue) : null;
            return root is not null;
        }

        foreach (var start in startDirectories)
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "shared", "datasets");
                if (Directory.Exists(candidate))
                {
                    root = candidate;
                    return true;
                }
            }
        }

        root = null;
        return false;
    }
}
