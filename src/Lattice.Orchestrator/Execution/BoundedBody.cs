using System.Buffers;
using Lattice.ServiceDefaults.Compression;
using Microsoft.Extensions.Primitives;

namespace Lattice.Orchestrator.Execution;

/// <summary>
/// A whole HTTP body read into a pooled buffer, at most a given number of bytes (a runaway peer cannot exhaust
/// memory). Dispose to return the buffer. Used for the pipeline input and for each step's answer: both are small
/// JSON documents parsed in one synchronous pass, cheaper than an async parse over the stream.
/// The struct owns its buffer: never copy it, dispose it once (a <c>using</c> declaration does exactly that).
/// </summary>
internal readonly struct BoundedBody : IDisposable
{
    private const int InitialBuffer = 4096;

    /// <summary>
    /// The most a declared length may reserve before the bytes arrive: a client that only sends headers with a
    /// large Content-Length must not make the server hold that much memory. Larger bodies grow as they come.
    /// </summary>
    private const int MaxUpFront = 64 * 1024;

    private readonly byte[]? _buffer;
    private readonly int _length;

    private BoundedBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>False when the body was longer than the limit (nothing is kept then).</summary>
    public bool WithinLimit => _buffer is not null;

    public ReadOnlySpan<byte> Span => _buffer is null ? default : _buffer.AsSpan(0, _length);

    /// <summary>
    /// Reads <paramref name="stream"/> to its end. A body longer than <paramref name="limit"/> stops the read at the
    /// first byte past it and gives a result whose <see cref="WithinLimit"/> is false.
    /// </summary>
    public static async Task<BoundedBody> ReadAsync(Stream stream, long? declaredLength, int limit, CancellationToken cancellationToken)
    {
        // With a (small) declared length the first buffer fits it and one spare byte, so the read that sees the end
        // never grows it.
        var first = declaredLength is { } length && length < limit ? Math.Min(length + 1, MaxUpFront) : Math.Min(InitialBuffer, limit + 1L);
        var buffer = ArrayPool<byte>.Shared.Rent((int)first);
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1L));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(count), cancellationToken);
                if (read == 0)
                {
                    var body = new BoundedBody(buffer, count);
                    buffer = null;
                    return body;
                }

                count += read;
                if (count > limit)
                {
                    return default;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Undoes the content codings <paramref name="contentEncoding"/> names (see <see cref="ContentCodings"/>) under
    /// <paramref name="limit"/>. On <see cref="ContentDecodeStatus.Ok"/>, <paramref name="decoded"/> owns a new buffer
    /// (dispose it too); this body stays as it was.
    /// </summary>
    public ContentDecodeStatus Decode(StringValues contentEncoding, int limit, out BoundedBody decoded, out string? error)
    {
        var status = ContentCodings.Decode(_buffer ?? [], _length, contentEncoding, limit, out var buffer, out var length, out error);
        decoded = status == ContentDecodeStatus.Ok ? new BoundedBody(buffer!, length) : default;
        return status;
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
