using System.Buffers.Binary;
using System.Text.Json;
using Lattice.ML.ModelFiles;

namespace Lattice.ML.Tests.ModelFiles;

public sealed class ModelFileTests
{
    private static ModelMetadata SampleMetadata() => new()
    {
        Name = "sample",
        Version = "3",
        Task = "text-classification",
        Algorithm = "softmax-regression",
        Labels = ["neg", "pos"],
        FeaturizerJson = """{"buckets":1024,"name":"a \"quoted\" \u00e9"}""",
        HyperparametersJson = "{}",
        TrainingData = new TrainingDataInfo("sha256:abc", "unit test", 2),
        Metrics = new Dictionary<string, double> { ["test.accuracy"] = 0.875 },
        Properties = new Dictionary<string, string> { ["note"] = "ünïcödé ✓" },
        CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
    };

    private static byte[] SampleFile()
    {
        var sut = new ModelFileWriter(SampleMetadata());
        sut.Add<float>("weights", [1.5f, -2f, float.Epsilon, float.NaN, 0f, 7f], 2, 3);
        sut.Add<int>("index", [4, 5, 6]);
        sut.Add<Half>("half", [(Half)0.5f]);
        sut.Add<byte>("empty", []);
        return sut.ToArray();
    }

    [Fact]
    public void Read_WrittenFile_RoundTripsMetadataAndSections()
    {
        var sut = ModelFile.Read(SampleFile());

        Assert.Equal(ModelFile.SupportedFormatVersion, sut.FormatVersion);
        Assert.Equal("sample", sut.Metadata.Name);
        Assert.Equal(["neg", "pos"], sut.Metadata.Labels);
        Assert.Equal(0.875, sut.Metadata.Metrics["test.accuracy"]);
        Assert.Equal("ünïcödé ✓", sut.Metadata.Properties["note"]);
        using (var featurizer = JsonDocument.Parse(sut.Metadata.FeaturizerJson!))
        {
            Assert.Equal(1024, featurizer.RootElement.GetProperty("buckets").GetInt32());
            Assert.Equal("a \"quoted\" é", featurizer.RootElement.GetProperty("name").GetString());
        }

        Assert.Equal("{}", sut.Metadata.HyperparametersJson);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), sut.Metadata.CreatedAt);
        Assert.Equal(["weights", "index", "half", "empty"], sut.Sections.Select(s => s.Name));
        Assert.Equal([2L, 3L], sut.GetSection("weights").Shape);
        var weights = sut.ToArray<float>("weights");
        Assert.Equal([1.5f, -2f, float.Epsilon], weights[..3]);
        Assert.True(float.IsNaN(weights[3]));
        Assert.Equal([4, 5, 6], sut.ToArray<int>("index"));
        Assert.Equal((Half)0.5f, sut.GetSpan<Half>("half")[0]);
        Assert.Equal(0, sut.GetSpan<byte>("empty").Length);
        Assert.All(sut.Sections, s => Assert.Equal(0, s.Offset % 64));
    }

    [Fact]
    public void ToArray_SameInput_IsByteIdentical()
    {
        Assert.Equal(SampleFile(), SampleFile());
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsThroughDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lattice-{Guid.NewGuid():N}", "1", "model.lattice");
        try
        {
            var writer = new ModelFileWriter(SampleMetadata());
            writer.Add<double>("x", [Math.PI]);
            writer.Save(path);

            var sut = ModelFile.Load(path);

            Assert.Equal(Math.PI, sut.GetSpan<double>("x")[0]);
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(path))!, recursive: true);
        }
    }

    [Fact]
    public void Read_FlippedByteAnywhere_IsRefusedNeverMisread()
    {
        var original = SampleFile();
        for (var i = 0; i < original.Length; i += 7)
        {
            var corrupt = (byte[])original.Clone();
            corrupt[i] ^= 0x10;

            var ex = Assert.Throws<ModelFileException>(() => ModelFile.Read(corrupt, "corrupt.lattice"));

            Assert.Contains("corrupt.lattice", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Read_PayloadByteFlipped_ReportsChecksumMismatch()
    {
        var corrupt = SampleFile();
        corrupt[^20] ^= 0xFF;

        var ex = Assert.Throws<ModelFileException>(() => ModelFile.Read(corrupt));

        Assert.Equal(ModelFileError.ChecksumMismatch, ex.Error);
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(31)]
    [InlineData(100)]
    [InlineData(1)]
    public void Read_TruncatedFile_ReportsTruncation(int keepFromEndMissing)
    {
        var file = SampleFile();
        var length = keepFromEndMissing == 0 ? 0 : file.Length - keepFromEndMissing;
        var truncated = file.AsSpan(0, Math.Max(0, length)).ToArray();

        var ex = Assert.Throws<ModelFileException>(() => ModelFile.Read(truncated));

        Assert.True(ex.Error is ModelFileError.Truncated or ModelFileError.NotAModelFile, ex.Error.ToString());
    }

    [Fact]
    public void Read_NewerFormatVersion_IsRefusedWithUpgradeHint()
    {
        var file = SampleFile();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), ModelFile.SupportedFormatVersion + 1);

        var ex = Assert.Throws<ModelFileException>(() => ModelFile.Read(file, "future.lattice"));

        Assert.Equal(ModelFileError.UnsupportedVersion, ex.Error);
        Assert.Contains("upgrade", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotAModelFile_SaysSo()
    {
        var ex = Assert.Throws<ModelFileException>(() => ModelFile.Read("{\"name\":\"json\"}"u8.ToArray()));

        Assert.Equal(ModelFileError.NotAModelFile, ex.Error);
    }

    [Fact]
    public void GetSpan_WrongElementType_Throws()
    {
        var sut = ModelFile.Read(SampleFile());

        var ex = Assert.Throws<ModelFileException>(() => sut.GetSpan<int>("weights").Length);

        Assert.Contains("Float32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetSection_Missing_ThrowsMissingContent()
    {
        var sut = ModelFile.Read(SampleFile());

        var ex = Assert.Throws<ModelFileException>(() => sut.GetSection("nope"));

        Assert.Equal(ModelFileError.MissingContent, ex.Error);
    }

    [Fact]
    public void Add_ShapeMismatch_Throws()
    {
        var sut = new ModelFileWriter(SampleMetadata());

        Assert.Throws<ArgumentException>(() => sut.Add<float>("w", [1f, 2f, 3f], 2, 2));
    }

    [Fact]
    public void Add_DuplicateName_Throws()
    {
        var sut = new ModelFileWriter(SampleMetadata());
        sut.Add<float>("w", [1f]);

        Assert.Throws<ArgumentException>(() => sut.Add<float>("w", [2f]));
    }
}
