using Lattice.ML.Datasets;

namespace Lattice.ML.Tests.Datasets;

public sealed class DatasetLocatorTests
{
    [Fact]
    public void TryFind_SiblingSharedFolder_IsFoundFromNestedDirectory()
    {
        var root = Path.Combine(Path.GetTempPath(), $"lattice-{Guid.NewGuid():N}");
        var datasets = Directory.CreateDirectory(Path.Combine(root, "shared", "datasets")).FullName;
        var nested = Directory.CreateDirectory(Path.Combine(root, "repo", "src", "deep")).FullName;
        try
        {
            var found = DatasetLocator.TryFind(null, [nested], out var sut);

            Assert.True(found);
            Assert.Equal(datasets, sut);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void TryFind_EnvironmentValue_WinsOverSearch()
    {
        var explicitFolder = Directory.CreateTempSubdirectory("lattice-").FullName;
        try
        {
            var found = DatasetLocator.TryFind(explicitFolder, ["/"], out var sut);

            Assert.True(found);
            Assert.Equal(explicitFolder, sut);
        }
        finally
        {
            Directory.Delete(explicitFolder);
        }
    }

    [Fact]
    public void TryFind_EnvironmentValueMissingFolder_ReturnsFalse()
    {
        var found = DatasetLocator.TryFind("/no/such/folder/anywhere", [Environment.CurrentDirectory], out var sut);

        Assert.False(found);
        Assert.Null(sut);
    }

    [Fact]
    public void Find_InThisRepository_LocatesSharedDatasets()
    {
        var sut = DatasetLocator.Find();

        Assert.True(File.Exists(Path.Combine(sut, "README.md")));
    }
}
