using Lattice.ML.Datasets;

namespace Lattice.ML.Tests.Datasets;

public sealed class TextDatasetsTests
{
    [Fact]
    public void Sst2_Splits_HaveDocumentedSizes()
    {
        var sut = TextDatasets.Sst2();

        Assert.Equal(67_349, sut.Train.Count);
        Assert.Equal(872, sut.Validation!.Count);
        Assert.Equal(1_821, sut.Test.Count);
        Assert.All(sut.Test, e => Assert.Contains(e.Label, sut.Labels));
    }

    [Fact]
    public void Banking77_CsvWithQuotes_ParsesEveryRow()
    {
        var sut = TextDatasets.Banking77();

        Assert.Equal(77, sut.Labels.Count);
        Assert.Equal(10_003, sut.Train.Count);
        Assert.Equal(3_080, sut.Test.Count);
        Assert.Contains(sut.Test, e => e.Text.Contains(',', StringComparison.Ordinal));
        Assert.All(sut.Train, e => Assert.Contains(e.Label, sut.Labels));
    }

    [Fact]
    public void SmsSpam_PublishedHoldOut_Is1674Train3900Test()
    {
        var sut = TextDatasets.SmsSpam();

        Assert.Equal(1_674, sut.Train.Count);
        Assert.Equal(3_900, sut.Test.Count);
        Assert.Equal(747, sut.Train.Concat(sut.Test).Count(e => e.Label == "spam"));
    }

    [Fact]
    public void LanguageId_TrainsOnUdhrAndTestsOnLingua()
    {
        var sut = TextDatasets.LanguageId();

        Assert.Equal(75, sut.Labels.Count);
        Assert.Equal(74_141, sut.Test.Count);
        Assert.Equal(74_613, sut.ExtraTests["word-pairs"].Count);
        Assert.Equal(74_036, sut.ExtraTests["single-words"].Count);
        Assert.InRange(sut.Train.Count, 6_800, 6_900);
    }

    [Fact]
    public void Load_UnknownTask_Throws()
    {
        Assert.Throws<ArgumentException>(() => TextDatasets.Load("weather"));
    }

    [Fact]
    public void ReadCsv_QuotedFieldsAndDoubledQuotes_AreParsed()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "text,category\r\n\"a, b\",x\r\n\"say \"\"hi\"\"\",y\r\nplain,z\r\n");

            var sut = DelimitedReader.ReadCsv(path);

            Assert.Equal(4, sut.Count);
            Assert.Equal(["a, b", "x"], sut[1]);
            Assert.Equal(["say \"hi\"", "y"], sut[2]);
            Assert.Equal(["plain", "z"], sut[3]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
