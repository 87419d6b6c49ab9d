using System.Buffers;
using System.IO.Compression;
using Microsoft.Extensions.Primitives;

namespace Lattice.ServiceDefaults.Compression;

/// <summary>What <see cref="ContentCodings.Decode"/> made of a body.</summary>
public enum ContentDecodeStatus
{
    Ok,

    /// <summary>A coding Lattice does not decode (answer 415 with <c>Accept-Encoding: </c><see cref="ContentCodings.Supported"/>).</summary>
    Unsupported,

    /// <summary>The bytes are not valid data of the coding the header names (answer 400).</summary>
    Invalid,

    /// <summary>The decoded body is longer than the limit (answer 413); decoding stopped at the first byte past it.</summary>
    TooLarge,
}

/// <summary>
/// Decodes a request body sent with <c>Content-Encoding</c> (RFC 9110 §8.4): <c>gzip</c> (and its alias
/// <c>x-gzip</c>), <c>deflate</c> (zlib, or raw deflate as some clients send it, told apart by the zlib header as
/// HttpClient does) and <c>br</c>, several in the order applied, <c>identity</c> ignored. Triton and KServe accept
/// gzip and deflate request bodies; a Lattice service accepts them on every JSON API.
/// </summary>
/// <remarks>
/// The body arrives whole (already bounded by the service's body limit) and is decoded into a pooled buffer under the
/// same limit, so neither the compressed nor the decoded size can exceed it: a small "zip bomb" stops at the first byte
/// past the limit. The integrity of a compressed body is left to its JSON framing: .NET's decoders answer a truncated
/// stream with the bytes decoded so far, and a JSON document cut short does not parse.
/// </remarks>
public static class ContentCodings
{
    /// <summary>The codings a body may arrive in, as an <c>Accept-Encoding</c> value for a 415 answer.</summary>
    public const string Supported = "gzip, deflate, br";

    /// <summary>The most codings one body may stack; more is refused as unsupported.</summary>
    public const int MaxCodings = 3;

    private const int MinOutputBuffer = 4096;

    private enum Coding
    {
        Gzip,
        Deflate,
        Brotli,
    }

    /// <summary>True when <paramref name="contentEncoding"/> names a coding to undo (anything but nothing or <c>identity</c>).</summary>
    public static bool IsEncoded(StringValues contentEncoding)
    {
        if (contentEncoding.Count == 0)
        {
            return false; // the common case, without an enumerator
        }

        foreach (var line in contentEncoding)
        {
            foreach (var token in Tokens(line))
            {
                if (!token.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Undoes the codings <paramref name="contentEncoding"/> names, last applied first, on the first
    /// <paramref name="length"/> bytes of <paramref name="body"/>. On <see cref="ContentDecodeStatus.Ok"/>,
    /// <paramref name="decoded"/> is a buffer rented from <see cref="ArrayPool{T}.Shared"/> that the caller returns;
    /// otherwise it is null and <paramref name="error"/> says why, in words fit for the client.
    /// </summary>
    public static ContentDecodeStatus Decode(byte[] body, int length, StringValues contentEncoding, int limit,
        out byte[]? decoded, out int decodedLength, out string? error)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        decoded = null;
        decodedLength = 0;
        var codings = new List<(Coding Coding, string Name)>(1);
        foreach (var line in contentEncoding)
        {
            foreach (var token in Tokens(line))
            {
                if (token.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                Coding? coding = token.Equals("gzip", StringComparison.OrdinalIgnoreCase) || token.Equals("x-gzip", StringComparison.OrdinalIgnoreCase) ? Coding.Gzip
                    : token.Equals("deflate", StringComparison.OrdinalIgnoreCase) ? Coding.Deflate
                    : token.Equals("br", StringComparison.OrdinalIgnoreCase) ? Coding.Brotli
                    : null;
                if (coding is null)
                {
                    error = $"Content-Encoding '{Shorten(token)}' is not supported; send the body uncompressed or as {Supported}.";
                    return ContentDecodeStatus.Unsupported;
                }

                if (codings.Count == MaxCodings)
                {
                    error = $"Content-Encoding stacks more than {MaxCodings} codings.";
                    return ContentDecodeStatus.Unsupported;
                }

                codings.Add((coding.Value, token.ToString().ToLowerInvariant()));
            }
        }

        // Each step reads the previous step's output; the caller owns `body`, this method owns every buffer after it.
        var input = body;
        var inputLength = length;
        for (var i = codings.Count - 1; i >= 0; i--)
        {
            var status = DecodeOne(codings[i].Coding, input, inputLength, limit, out var output, out var outputLength);
            if (!ReferenceEquals(input, body))
            {
                ArrayPool<byte>.Shared.Return(input);
            }

            if (status != ContentDecodeStatus.Ok)
            {
                error = status == ContentDecodeStatus.TooLarge
                    ? $"The body is larger than {limit} bytes once decompressed."
                    : $"The body is not valid {codings[i].Name} data (Content-Encoding).";
                return status;
            }

            input = output!;
            inputLength = outputLength;
        }

        if (ReferenceEquals(input, body))
        {
            // Only identity codings: hand back a copy, so the caller's ownership rule stays one rule.
            input = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            body.AsSpan(0, length).CopyTo(input);
        }

        decoded = input;
        decodedLength = inputLength;
        error = null;
        return ContentDecodeStatus.Ok;
    }

    private static ContentDecodeStatus DecodeOne(Coding coding, byte[] input, int length, int limit, out byte[]? output, out int outputLength)
    {
        output = null;
        outputLength = 0;
        var source = new MemoryStream(input, 0, length, writable: false);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1L, Math.Max(MinOutputBuffer, length * 4L)));
        var count = 0;
        try
        {
            using var decoder = Decoder(coding, source, input.AsSpan(0, length));
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, limit + 1L));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = decoder.Read(buffer, count, buffer.Length - count);
                if (read == 0)
                {
                    (output, outputLength, buffer) = (buffer, count, null);
                    return ContentDecodeStatus.Ok;
                }

                count += read;
                if (count > limit)
                {
                    return ContentDecodeStatus.TooLarge;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or IOException)
        {
            // zlib's decoders throw InvalidDataException, Brotli's InvalidOperationException.
            return ContentDecodeStatus.Invalid;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static Stream Decoder(Coding coding, Stream source, ReadOnlySpan<byte> data) => coding switch
    {
        Coding.Gzip => new GZipStream(source, CompressionMode.Decompress),
        Coding.Brotli => new BrotliStream(source, CompressionMode.Decompress),
        _ => IsZlibHeader(data) ? new ZLibStream(source, CompressionMode.Decompress) : new DeflateStream(source, CompressionMode.Decompress),
    };

    /// <summary>RFC 1950: compression method 8 with a window of at most 32 KiB, and a header checksum that divides by 31.</summary>
    private static bool IsZlibHeader(ReadOnlySpan<byte> data) =>
        data.Length >= 2 && (data[0] & 0x0F) == 8 && (data[0] >> 4) <= 7 && ((data[0] << 8) | data[1]) % 31 == 0;

    /// <summary>The non-empty, trimmed elements of a comma-separated header line.</summary>
    private static IEnumerable<StringSegment> Tokens(string? line)
    {
        if (string.IsNullOrEmpty(line))
        {
            yield break;
        }

        var tokenizer = new StringTokenizer(line, [',']);
        foreach (var token in tokenizer)
        {
            var trimmed = token.Trim();
            if (trimmed.Length > 0)
            {
                yield return trimmed;
            }
        }
    }

    private static string Shorten(StringSegment token) => token.Length <= 40 ? token.ToString() : token.Substring(0, 40) + "...";
}
