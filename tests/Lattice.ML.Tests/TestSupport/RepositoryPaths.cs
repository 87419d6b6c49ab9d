namespace Lattice.ML.Tests.TestSupport;

/// <summary>Finds files of this repository (the shipped models) from the test output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Lattice.slnx")))
                {
                    return directory.FullName;
                }
            }

            throw new DirectoryNotFoundException("Repository root (Lattice.slnx) not found above the test output folder.");
        }
    }

    public static string Model(string name) => Path.Combine(Root, "models", name, "1", "model.lattice");
}
