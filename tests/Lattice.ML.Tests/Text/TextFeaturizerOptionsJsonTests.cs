using Lattice.ML.Text;

namespace Lattice.ML.Tests.Text;

public sealed class TextFeaturizerOptionsJsonTests
{
    [Fact]
    public void FromJson_WrittenOptions_RoundTrip()
    {
        var options = new TextFeaturizerOptions
        {
            Normalization = TextNormalization.None,
            CaseFolding = false,
            DigitFolding = true,
            WordNgrams = 3,
            CharNgramMin = 2,
            CharNgramMax = 6,
            Buckets = 12345,
            HashSeed = 0xFFFF_FFFF,
            Weighting = TermWeighting.Binary,
            UseIdf = true,
            VectorNormalization = VectorNormalization.L1,
            MaxInputChars = 777,
        };

        var sut = TextFeaturizerOptionsJson.FromJson(TextFeaturizerOptionsJson.ToJson(options));

        Assert.Equal(options, sut);
    }

    [Theory]
    [InlineData("""{"wordNgrams":2,"stemming":true}""")]
    [InlineData("""{"weighting":"Quadratic"}""")]
    [InlineData("""{"wordNgrams":"two"}""")]
    [InlineData("""{"wordNgrams":2.5}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"wordNgrams":2""")]
    public void FromJson_UnknownOrInvalidSetting_Throws(string json)
    {
        Assert.Throws<FormatException>(() => TextFeaturizerOptionsJson.FromJson(json));
    }
}
