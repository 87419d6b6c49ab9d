using System.Text;
using System.Text.Json;
using Lattice.Hosting.Apis;

namespace Lattice.Hosting.Tests.Apis;

public sealed class TextRequestReaderTests
{
    private static (bool Ok, string? Text, string? Id, string? Error) Read(string json, int maxDepth = 64)
    {
        var ok = TextRequestReader.TryRead(Encoding.UTF8.GetBytes(json), maxDepth, out var text, out var id, out var error);
        return (ok, text, id, error);
    }

    [Theory]
    [InlineData("""{"text": "hello"}""", "hello", null)]
    [InlineData("""{"text": "hello", "id": "r1"}""", "hello", "r1")]
    [InlineData("""{"id": null, "text": "hello"}""", "hello", null)]
    [InlineData("""{"TEXT": "hello", "Id": "r1"}""", "hello", "r1")]
    [InlineData("""{"text": "first", "text": "last"}""", "last", null)]
    [InlineData("""{"text": "caf\u00e9 \"quoted\""}""", "café \"quoted\"", null)]
    [InlineData("""{"extra": {"a": [1, {"b": null}]}, "text": "hello", "more": 5}""", "hello", null)]
    [InlineData(" \n {\"text\":\"hello\"} \n ", "hello", null)]
    public void TryRead_ValidRequest_GivesTextAndId(string json, string text, string? id)
    {
        var result = Read(json);

        Assert.True(result.Ok, result.Error);
        Assert.Equal(text, result.Text);
        Assert.Equal(id, result.Id);
    }

    [Theory]
    [InlineData("{}", "'text' is required.")]
    [InlineData("""{"id": "x"}""", "'text' is required.")]
    [InlineData("""{"text": null}""", "'text' must be a non-empty string.")]
    [InlineData("""{"text": 5}""", "'text' must be a string.")]
    [InlineData("""{"text": ["a"]}""", "'text' must be a string.")]
    [InlineData("""{"text": "a", "id": 7}""", "'id' must be a string.")]
    [InlineData("null", "The body must be a JSON object.")]
    [InlineData("[1, 2]", "The body must be a JSON object.")]
    [InlineData("\"text\"", "The body must be a JSON object.")]
    public void TryRead_WellFormedButInvalid_GivesTheReason(string json, string error)
    {
        var result = Read(json);

        Assert.False(result.Ok);
        Assert.Equal(error, result.Error);
    }

    [Theory]
    [InlineData("{\"text\": ")]
    [InlineData("{\"text\": \"a\"")]
    [InlineData("{\"text\": \"a\"} {}")]
    [InlineData("{\"text\": \"a\"} x")]
    [InlineData("{text: \"a\"}")]
    [InlineData("   ")]
    [InlineData("{\"text\": \"a\",}")]
    public void TryRead_Malformed_ThrowsJsonException(string json) =>
        Assert.ThrowsAny<JsonException>(() => Read(json));

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D })] // {"text":"<FF FE>"}
    [InlineData(new byte[] { 0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0x61, 0x22, 0x7D })] // {"<FF>":1,"text":"a"}
    public void TryRead_InvalidUtf8InAString_ThrowsJsonException(byte[] json) =>
        Assert.ThrowsAny<JsonException>(() => TextRequestReader.TryRead(json, 64, out _, out _, out _));

    [Theory]
    [InlineData("""{"text": "\ud800"}""")]
    [InlineData("""{"text": "a\udc00b"}""")]
    [InlineData("""{"text": "ok", "id": "\ud800"}""")]
    public void TryRead_EscapedLoneSurrogate_ThrowsJsonException(string json) =>
        Assert.ThrowsAny<JsonException>(() => Read(json));

    [Fact]
    public void TryRead_DeeperThanTheLimit_ThrowsTheDepthError()
    {
        var ex = Assert.ThrowsAny<JsonException>(() => Read("""{"text": "a", "x": [[[[[[1]]]]]]}""", maxDepth: 5));

        Assert.Contains("maximum configured depth", ex.Message, StringComparison.OrdinalIgnoreCase);
    }
}
