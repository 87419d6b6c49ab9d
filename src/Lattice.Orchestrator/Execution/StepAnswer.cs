using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lattice.Orchestrator.Execution;

/// <summary>
/// Reads a step's JSON answer whole into a pooled buffer, at most <c>limit</c> bytes (a runaway upstream cannot
/// exhaust memory), then parses it in one synchronous pass: cheaper than an async parse over the stream for the
/// small answers services give.
/// </summary>
internal static class StepAnswer
{
    private const int InitialBuffer = 4096;

    /// <exception cref="IOException">The answer is longer than <paramref name="limit"/> bytes, or the connection failed.</exception>
    /// <exception cref="JsonException">The answer is not valid JSON.</exception>
    public static async Task<JsonNode?> ParseAsync(HttpContent content, int limit, JsonDocumentOptions options, CancellationToken cancellationToken)
    {
        // With a declared length the first buffer fits it and one spare byte, so the read that sees the end never grows it.
        var declared = content.Headers.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(declared is { } length && length < limit ? (int)length + 1 : InitialBuffer);
        var count = 0;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
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
                    break;
                }

                count += read;
                if (count > limit)
                {
                    throw new IOException($"response exceeds {limit} bytes");
                }
            }

            return JsonNode.Parse(buffer.AsSpan(0, count), documentOptions: options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
