using System.Text.Json;
using Lattice.Hosting.Protocol;
using Lattice.ServiceDefaults.Json;

namespace Lattice.Hosting.Apis;

/// <summary>
/// Reads the single-text request <c>{"text": "...", "id": "..."}</c> straight off a <see cref="Utf8JsonReader"/>:
/// the hot path of every typed text API, where the serializer's object machinery cost more than the model.
/// </summary>
/// <remarks>
/// It accepts what the source-generated contract with web defaults accepts: property names in any case, unknown
/// properties skipped (within the depth limit), the last of duplicate properties wins, <c>id</c> may be null.
/// Malformed JSON and a depth past the limit throw <see cref="JsonException"/> exactly like the serializer, and so does
/// a string that is not text (invalid UTF-8 or an escaped lone surrogate), which the reader would throw
/// <see cref="InvalidOperationException"/> for.
/// </remarks>
internal static class TextRequestReader
{
    /// <summary>Parses <paramref name="json"/>; on a well-formed body that is not a valid request, gives the reason.</summary>
    /// <exception cref="JsonException">The body is not well-formed JSON (strings included) or nests deeper than <paramref name="maxDepth"/>.</exception>
    public static bool TryRead(ReadOnlySpan<byte> json, int maxDepth, out string? text, out string? id, out string? error)
    {
        text = null;
        id = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            EnsureEnd(ref reader);
            error = RequestBody.NotAnObject;
            return false;
        }

        var sawText = false;
        error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = Property(ref reader);
            reader.Read();
            switch (property)
            {
                case Known.Text:
                    sawText = true;
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        text = JsonStrings.GetString(ref reader);
                    }
                    else
                    {
                        text = null;
                        error ??= reader.TokenType == JsonTokenType.Null ? "'text' must be a non-empty string." : "'text' must be a string.";
                        reader.Skip();
                    }

                    break;
                case Known.Id:
                    if (reader.TokenType is JsonTokenType.String or JsonTokenType.Null)
                    {
                        id = reader.TokenType == JsonTokenType.String ? JsonStrings.GetString(ref reader) : null;
                    }
                    else
                    {
                        error ??= "'id' must be a string.";
                        reader.Skip();
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        EnsureEnd(ref reader);
        if (error is null && !sawText)
        {
            error = "'text' is required.";
        }

        return error is null;
    }

    private enum Known
    {
        Other,
        Text,
        Id,
    }

    private static Known Property(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("text"u8))
        {
            return Known.Text;
        }

        if (reader.ValueTextEquals("id"u8))
        {
            return Known.Id;
        }

        // Web defaults match names in any case; this slower path only runs for other spellings and unknown names.
        var name = JsonStrings.GetString(ref reader);
        return string.Equals(name, "text", StringComparison.OrdinalIgnoreCase) ? Known.Text
            : string.Equals(name, "id", StringComparison.OrdinalIgnoreCase) ? Known.Id
            : Known.Other;
    }

    /// <summary>Nothing but whitespace may follow the root value (the reader throws on anything else).</summary>
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException($"'{reader.TokenType}' follows the end of the JSON object.");
        }
    }
}
