using Lattice.ML.ModelFiles;

namespace Lattice.ML.Tests.Recommendation;

/// <summary>Helpers shared by the tabular model tests.</summary>
internal static class TabularTestData
{
    public static ModelMetadata Metadata(string name) => new()
    {
        Name = name,
        Version = "1",
        Task = string.Empty,
        Algorithm = string.Empty,
        CreatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
    };

    /// <summary>Writes and re-reads a model file in memory, as a model server would load it.</summary>
    public static ModelFile RoundTrip(ModelFileWriter writer) => ModelFile.Read(writer.ToArray(), "test");

    /// <summary>The repository's <c>models/</c> folder, found by walking up from the test binaries.</summary>
    public static string ShippedModel(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", name, "1", "model.lattice");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"models/{name}/1/model.lattice not found above {AppContext.BaseDirectory}.");
    }
}
