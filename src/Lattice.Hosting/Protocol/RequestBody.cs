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
    /// <summary>The refusal of a well-formed body whose root is not a JSON object (every request body must be one).</summary>
    public const string NotAnObject = "The body must be a JSON object.";

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

        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            var buffered = read.Buffer;
            if (buffered.Length > limit)
            {
                reader.AdvanceTo(buffered.Start, buffered.End);
                return (BodyStatus.TooLarge, default);
            }

            if (!read.IsCompleted)
            {
                reader.AdvanceTo(buffered.Start, buffered.End); // nothing consumed: wait for the rest
                continue;
            }

            if (buffered.IsEmpty)
            {
                reader.AdvanceTo(buffered.End);
                return (BodyStatus.Empty, default);
            }

            var length = (int)buffered.Length;
            var copy = ArrayPool<byte>.Shared.Rent(length);
            buffered.CopyTo(copy);
            reader.AdvanceTo(buffered.End);
            return (BodyStatus.Ok, new RequestBody(copy, length));
        }
    }

    public void Dispose()
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
