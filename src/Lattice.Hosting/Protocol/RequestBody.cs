using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Lattice.Hosting.Protocol;

/// <summary>Result of reading a request body under the size limit.</summary>
internal enum BodyStatus
{
    Ok,
    TooLarge,
    Empty,
}

/// <summary>A request body in a pooled buffer; dispose to return it.</summary>
internal readonly struct RequestBody(byte[] buffer, int length) : IDisposable
{
    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

    public int Length => length;

    /// <summary>Reads the whole body, refusing more than <paramref name="limit"/> bytes before buffering them.</summary>
    public static async ValueTask<(BodyStatus Status, RequestBody Body)> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > limit)
        {
            return (BodyStatus.TooLarge, default);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(declared is > 0 ? (int)declared.Value : 4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= limit + 1)
                    {
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit + 1) - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    break;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        if (length > limit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (BodyStatus.TooLarge, default);
        }

        if (length == 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (BodyStatus.Empty, default);
        }

        return (BodyStatus.Ok, new RequestBody(buffer, length));
    }

    public void Dispose()
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
