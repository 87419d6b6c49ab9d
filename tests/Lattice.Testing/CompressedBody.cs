using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;

namespace Lattice.Testing;

/// <summary>Request bodies in a content coding, as a client that compresses its uploads sends them.</summary>
public static class CompressedBody
{
    /// <summary>
    /// <paramref name="data"/> in <paramref name="coding"/>: <c>gzip</c>, <c>deflate</c> (zlib, RFC 9110),
    /// <c>raw-deflate</c> (what some clients send as <c>deflate</c>) or <c>br</c>.
    /// </summary>
    public static byte[] Encode(byte[] data, string coding)
    {
        var output = new MemoryStream();
        using (var encoder = coding switch
        {
            "gzip" => (Stream)new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "raw-deflate" => new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "gzip, deflate, raw-deflate or br"),
        })
        {
            encoder.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>
    /// JSON content whose bytes are <paramref name="json"/> encoded with each of <paramref name="codings"/> in turn,
    /// labelled with <paramref name="contentEncoding"/> (by default the codings, comma-separated; raw-deflate says deflate).
    /// </summary>
    public static ByteArrayContent Json(string json, string[] codings, string? contentEncoding = null)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        foreach (var coding in codings)
        {
            bytes = Encode(bytes, coding);
        }

        return Labelled(bytes, contentEncoding ?? string.Join(", ", codings.Select(c => c == "raw-deflate" ? "deflate" : c)));
    }

    /// <summary><paramref name="bytes"/> as they are, sent as JSON with the given Content-Encoding header value.</summary>
    public static ByteArrayContent Labelled(byte[] bytes, string contentEncoding)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.TryAddWithoutValidation("Content-Encoding", contentEncoding);
        return content;
    }
}
