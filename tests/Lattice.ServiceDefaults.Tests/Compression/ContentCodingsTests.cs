using System.Buffers;
using System.Text;
using Lattice.ServiceDefaults.Compression;
using Lattice.Testing;
using Microsoft.Extensions.Primitives;

namespace Lattice.ServiceDefaults.Tests.Compression;

public sealed class ContentCodingsTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("""{"text": "The acting was wonderful"}""", 50)));

    private static (ContentDecodeStatus Status, byte[] Decoded, string? Error) Decode(byte[] body, StringValues encoding, int limit = 1 << 20)
    {
        // The decoder reads only the first `length` bytes: hand it a larger, dirty buffer as a pooled one would be.
        var buffer = new byte[body.Length + 7];
        Array.Fill(buffer, (byte)'x');
        body.CopyTo(buffer, 0);
        var status = ContentCodings.Decode(buffer, body.Length, encoding, limit, out var decoded, out var length, out var error);
        if (decoded is null)
        {
            return (status, [], error);
        }

        var copy = decoded.AsSpan(0, length).ToArray();
        ArrayPool<byte>.Shared.Return(decoded);
        return (status, copy, error);
    }

    [Theory]
    [InlineData("gzip", "gzip")]
    [InlineData("gzip", "x-gzip")]
    [InlineData("gzip", " GZIP ")]
    [InlineData("deflate", "deflate")]
    [InlineData("raw-deflate", "deflate")]
    [InlineData("br", "br")]
    [InlineData("gzip", "identity, gzip")]
    public void Decode_OneSupportedCoding_GivesTheOriginalBytes(string coding, string header)
    {
        var (status, decoded, error) = Decode(CompressedBody.Encode(Json, coding), header);

        Assert.Equal(ContentDecodeStatus.Ok, status);
        Assert.Null(error);
        Assert.Equal(Json, decoded);
    }

    [Fact]
    public void Decode_StackedCodings_UndoesTheLastAppliedFirst()
    {
        var body = CompressedBody.Encode(CompressedBody.Encode(Json, "gzip"), "br");

        Assert.Equal(Json, Decode(body, "gzip, br").Decoded);
        Assert.Equal(Json, Decode(body, new StringValues(["gzip", "br"])).Decoded); // two header lines, one list
        Assert.Equal(ContentDecodeStatus.Invalid, Decode(body, "br, gzip").Status);
    }

    [Fact]
    public void Decode_IdentityOnly_GivesACopy()
    {
        Assert.False(ContentCodings.IsEncoded("identity"));
        Assert.False(ContentCodings.IsEncoded(StringValues.Empty));
        Assert.False(ContentCodings.IsEncoded(" , "));
        Assert.True(ContentCodings.IsEncoded("identity, gzip"));

        var (status, decoded, _) = Decode(Json, "identity");

        Assert.Equal(ContentDecodeStatus.Ok, status);
        Assert.Equal(Json, decoded);
    }

    [Theory]
    [InlineData("zstd", "'zstd'")]
    [InlineData("gzip, compress", "'compress'")]
    [InlineData("gzip, gzip, gzip, gzip", "more than 3")]
    public void Decode_UnsupportedCodingOrTooMany_IsUnsupportedAndSaysWhich(string header, string expected)
    {
        var (status, decoded, error) = Decode(Json, header);

        Assert.Equal(ContentDecodeStatus.Unsupported, status);
        Assert.Empty(decoded);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_LongUnknownCoding_IsShortenedInTheMessage()
    {
        var (_, _, error) = Decode(Json, new string('z', 5000));

        Assert.True(error!.Length < 200, error);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public void Decode_BytesThatAreNotOfTheCoding_IsInvalidAndNamesIt(string coding)
    {
        var (status, _, error) = Decode(Json, coding);

        Assert.Equal(ContentDecodeStatus.Invalid, status);
        Assert.Contains($"not valid {coding} data", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public void Decode_SmallBodyThatExpandsPastTheLimit_IsTooLarge(string coding)
    {
        var bomb = CompressedBody.Encode(new byte[16 << 20], coding); // 16 MiB of zeros in at most 16 KiB

        var (status, decoded, error) = Decode(bomb, coding, limit: 1 << 20);

        Assert.True(bomb.Length <= 16 * 1024, $"{bomb.Length} bytes");
        Assert.Equal(ContentDecodeStatus.TooLarge, status);
        Assert.Empty(decoded);
        Assert.Contains("1048576 bytes once decompressed", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ExactlyTheLimit_IsAccepted_OneByteMoreIsNot()
    {
        var body = CompressedBody.Encode(Json, "gzip");

        Assert.Equal(ContentDecodeStatus.Ok, Decode(body, "gzip", limit: Json.Length).Status);
        Assert.Equal(ContentDecodeStatus.TooLarge, Decode(body, "gzip", limit: Json.Length - 1).Status);
    }

    [Fact]
    public void Decode_EmptyDecodedBody_IsOkAndEmpty()
    {
        var (status, decoded, _) = Decode(CompressedBody.Encode([], "gzip"), "gzip");

        Assert.Equal(ContentDecodeStatus.Ok, status);
        Assert.Empty(decoded);
    }
}
