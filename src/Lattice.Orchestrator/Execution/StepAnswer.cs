using System.Text.Json;
using System.Text.Json.Nodes;
using Lattice.ServiceDefaults.Json;

namespace Lattice.Orchestrator.Execution;

/// <summary>Reads a step's JSON answer, at most <c>limit</c> bytes, checks that its strings are text, and parses it.</summary>
internal static class StepAnswer
{
    /// <exception cref="IOException">The answer is longer than <paramref name="limit"/> bytes, or the connection failed.</exception>
    /// <exception cref="JsonException">The answer is not valid JSON, or holds a string that is not text.</exception>
    public static async Task<JsonNode?> ParseAsync(HttpContent content, int limit, JsonDocumentOptions options, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var body = await BoundedBody.ReadAsync(stream, content.Headers.ContentLength, limit, cancellationToken);
        if (!body.WithinLimit)
        {
            throw new IOException($"response exceeds {limit} bytes");
        }

        // Before parsing: a string that is not text would throw InvalidOperationException wherever it is decoded (the
        // version, a path, the run's answer), in parsing itself for some names; as the sender's mistake it fails the step.
        var readerOptions = new JsonReaderOptions { MaxDepth = options.MaxDepth, CommentHandling = options.CommentHandling, AllowTrailingCommas = options.AllowTrailingCommas };
        if (!body.Span.IsEmpty && JsonText.TryFindNotText(body.Span, readerOptions, out var where, out var isName))
        {
            throw new JsonException($"{(where.Length == 0 ? "the answer" : $"'{where}'")} {(isName ? JsonText.NameNotText : JsonStrings.NotText)}");
        }

        return JsonNode.Parse(body.Span, documentOptions: options);
    }
}
