using Lattice.ServiceDefaults.Json;
using Microsoft.Net.Http.Headers;

namespace Lattice.ServiceDefaults.Tests.Json;

public sealed class JsonCharsetTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void IsUtf8_NoContentType_IsUtf8(string? contentType)
    {
        Assert.True(JsonCharset.IsUtf8(contentType, out var charset));
        Assert.Null(charset);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; foo=bar")]
    [InlineData("text/plain")]
    public void IsUtf8_NoCharset_IsUtf8(string contentType)
    {
        Assert.True(JsonCharset.IsUtf8(contentType, out var charset));
        Assert.Null(charset);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=Utf-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("APPLICATION/JSON; CHARSET=UTF-8")]
    [InlineData("application/json; charset=utf-8; foo=bar")]
    [InlineData("application/json; foo=bar; charset=utf-8")]
    [InlineData("application/json; charset=utf8")]
    [InlineData("application/json; charset=UTF8")]
    [InlineData("application/json; charset=us-ascii")]
    [InlineData("application/json; charset=US-ASCII")]
    [InlineData("application/json; charset=\"us-ascii\"")]
    public void IsUtf8_Utf8OrAscii_IsUtf8(string contentType)
    {
        Assert.True(JsonCharset.IsUtf8(contentType, out var charset));
        Assert.Null(charset);
    }

    [Theory]
    [InlineData("application/json; charset= utf-8")]
    [InlineData("application/json; charset=utf-8 ")]
    [InlineData("application/json; charset = utf-8")]
    [InlineData("application/json;  charset=utf-8  ")]
    [InlineData("application/json; charset=\" utf-8 \"")]
    public void IsUtf8_Utf8WithSurroundingSpaces_IsUtf8(string contentType)
    {
        Assert.True(JsonCharset.IsUtf8(contentType, out var charset));
        Assert.Null(charset);
    }

    [Theory]
    [InlineData("application/json; charset=utf-16", "utf-16")]
    [InlineData("application/json; charset=UTF-16", "UTF-16")]
    [InlineData("application/json; charset=\"utf-16\"", "utf-16")]
    [InlineData("application/json; charset=utf-16le", "utf-16le")]
    [InlineData("application/json; charset=utf-32", "utf-32")]
    [InlineData("application/json; charset=latin1", "latin1")]
    [InlineData("application/json; charset=iso-8859-1", "iso-8859-1")]
    [InlineData("application/json; charset=windows-1252", "windows-1252")]
    [InlineData("application/json; charset= utf-16 ", "utf-16")]
    [InlineData("application/json; charset=\" latin1 \"", "latin1")]
    [InlineData("application/json; foo=bar; charset=utf-16", "utf-16")]
    public void IsUtf8_AnotherCharset_IsNotUtf8AndNamesIt(string contentType, string expected)
    {
        Assert.False(JsonCharset.IsUtf8(contentType, out var charset));
        Assert.Equal(expected, charset);
    }

    [Theory]
    [InlineData("application/json; charset=")]
    [InlineData("application/json; charset=\"\"")]
    [InlineData("application/json; charset= ")]
    public void IsUtf8_EmptyCharset_IsUtf8(string contentType)
    {
        Assert.True(JsonCharset.IsUtf8(contentType, out var charset));
        Assert.Null(charset);
    }

    [Theory]
    [InlineData("not a media type; charset=utf-16")]
    [InlineData("application/json; charset=utf-16; ;")]
    [InlineData("charset=utf-16")]
    [InlineData(";charset=utf-16")]
    public void IsUtf8_UnparsableContentType_IsReadAsUtf8(string contentType)
    {
        Assert.False(MediaTypeHeaderValue.TryParse(contentType, out _)); // the premise: no charset can be read from it
        Assert.True(JsonCharset.IsUtf8(contentType, out var charset));
        Assert.Null(charset);
    }

    [Fact]
    public void NotUtf8_NamesTheCharsetAndTheRemedy()
    {
        var detail = JsonCharset.NotUtf8("utf-16");

        Assert.Equal("Only UTF-8 JSON is accepted; the Content-Type declares charset 'utf-16'. Send the body in UTF-8 (charset=utf-8, or no charset).", detail);
    }
}
