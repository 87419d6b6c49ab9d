namespace Lattice.ML.Tabular;

/// <summary>Finds the shared dataset folder (temporary tabular copy until the common DatasetLocator lands).</summary>
public static class TabularDatasets
{
    /// <summary>Environment variable that overrides the search.</summary>
    public const string EnvironmentVariable = "LATTICE_DATASETS";

    /// <summary>
    /// Returns the dataset root: <c>LATTICE_DATASETS</c> when set, else the first <c>shared/datasets</c>
    /// found walking up from <paramref name="startDirectory"/> (default: the current directory).
    /// </summary>
    public static string Locate(string? startDirectory = null)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new DirectoryNotFoundException($"{EnvironmentVariable} points at '{fromEnvironment}', which does not exist.");
        }

        for (var dir = new DirectoryInfo(startDirectory ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "datasets");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No shared/datasets folder above '{startDirectory ?? Directory.GetCurrentDirectory()}'; set {EnvironmentVariable}.");
    }

    /// <summary>Combines the dataset root with a relative path and checks that the file exists.</summary>
    public static string File(params string[] relative)
    {
        var path = Path.Combine([Locate(), .. relative]);
        return System.IO.File.Exists(path) ? path : throw new FileNotFoundException($"Dataset file not found: {path}", path);
    }
}
