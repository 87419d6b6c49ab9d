using Lattice.ML.ModelFiles;

namespace Lattice.ML.Tests.ModelFiles;

public sealed class JsonLiteTests
{
    [Fact]
    public void Parse_AllValueKinds_AreRead()
    {
        var sut = JsonLite.Parse("""{"s":"a\"b\u00e9\n","n":-1.5e2,"t":true,"f":false,"z":null,"a":[1,[2]],"o":{}}"""u8);

        var root = Assert.IsType<Dictionary<string, object?>>(sut);
        Assert.Equal("a\"bé\n", root["s"]);
        Assert.Equal(-150.0, root["n"]);
        Assert.Equal(true, root["t"]);
        Assert.Equal(false, root["f"]);
        Assert.Null(root["z"]);
        Assert.Equal(2, Assert.IsType<List<object?>>(root["a"]).Count);
        Assert.Empty(Assert.IsType<Dictionary<string, object?>>(root["o"]));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("[1 2]")]
    [InlineData("\"unterminated")]
    [InlineData("{\"a\":1} trailing")]
    [InlineData("tru")]
    [InlineData("")]
    public void Parse_InvalidJson_ThrowsFormatException(string json)
    {
        Assert.Throws<FormatException>(() => JsonLite.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Parse_DeepNesting_IsRefusedNotStackOverflow()
    {
        var json = new string('[', 10_000) + new string(']', 10_000);

        Assert.Throws<FormatException>(() => JsonLite.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
    }
}
