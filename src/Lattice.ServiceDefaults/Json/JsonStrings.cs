using System.Text.Json;

namespace Lattice.ServiceDefaults.Json;

/// <summary>
/// Reads JSON strings that may not be text: raw bytes that are not UTF-8, or an escaped lone surrogate (<c>"\ud800"</c>).
/// The reader only finds out when it decodes the string, and then throws <see cref="InvalidOperationException"/>,
/// which is a client's malformed body, not a server error.
/// </summary>
public static class JsonStrings
{
    public const string NotText = "is not valid Unicode text (invalid UTF-8, or an escaped unpaired surrogate)";

    /// <summary>The string under the reader; throws <see cref="JsonException"/> (malformed JSON) when it does not decode.</summary>
    public static string? GetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException ex) when (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
        {
            throw new JsonException($"A JSON string {NotText}.", ex);
        }
    }

    /// <summary>The string value of <paramref name="element"/> (a string), or false when it does not decode.</summary>
    public static bool TryGetString(JsonElement element, out string value)
    {
        try
        {
            value = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException) when (element.ValueKind == JsonValueKind.String)
        {
            value = string.Empty;
            return false;
        }
    }
}
