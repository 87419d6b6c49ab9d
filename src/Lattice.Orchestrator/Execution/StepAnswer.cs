using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lattice.Orchestrator.Execution;

/// <summary>Reads a step's JSON answer, at most <c>limit</c> bytes, and parses it in one pass.</summary>
internal static class StepAnswer
{
    /// <exception cref="IOException">The answer is longer than <paramref name="limit"/> bytes, or the connection failed.</exception>
    /// <exception cref="JsonException">The answer is not valid JSON.</exception>
    public static async Task<JsonNode?> ParseAsync(HttpContent content, int limit, JsonDocumentOptions options, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var body = await BoundedBody.ReadAsync(stream, content.Headers.ContentLength, limit, cancellationToken);
        if (!body.WithinLimit)
        {
            throw new IOException($"response exceeds {limit} bytes");
        }

        return JsonNode.Parse(body.Span, documentOptions: options);
    }
}
