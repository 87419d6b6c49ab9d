using System.Text.Json;

namespace Lattice.ServiceDefaults.Json;

/// <summary>
/// What a System.Text.Json deserialization failure means for the client, in its words: the field by its JSON path and
/// what it should hold, never a .NET type name or a hint about nullability annotations.
/// </summary>
public static class JsonErrors
{
    private const string ConvertPrefix = "The JSON value could not be converted to ";
    private const string RequiredMarker = "missing required properties including: ";
    private const string DuplicatePrefix = "Duplicate property '";

    /// <summary>True when the body nests deeper than the reader allows (a limit, not a malformed body).</summary>
    public static bool IsTooDeep(JsonException exception) =>
        exception.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase);

    /// <summary>One sentence: e.g. "'k' has the wrong type or format.", "'user' must not be null.", "'texts[0]' is not valid Unicode text (...)".</summary>
    public static string Describe(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = exception.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        var field = Field(exception.Path);
        // A string that does not decode (the reader's "Cannot transcode invalid UTF-8 ..." or "invalid UTF-16 ... surrogate").
        if (IsNotText(exception.InnerException))
        {
            return field is null ? $"A JSON string {JsonStrings.NotText}." : $"'{field}' {JsonStrings.NotText}.";
        }

        if (message.StartsWith(ConvertPrefix, StringComparison.Ordinal))
        {
            var expected = Expected(message[ConvertPrefix.Length..].TrimEnd('.'));
            return (field, expected) switch
            {
                (null, null) => "The body does not have the expected shape.",
                (null, _) => $"The body must be {expected}.",
                (_, null) => $"'{field}' has the wrong type or format.",
                _ => $"'{field}' must be {expected}.",
            };
        }

        if (message.Contains("null values", StringComparison.Ordinal) && field is not null)
        {
            return $"'{field}' must not be null.";
        }

        // "Duplicate property 'name' encountered during deserialization of type 'CreateKeyRequest'." (AllowDuplicateProperties off)
        if (message.StartsWith(DuplicatePrefix, StringComparison.Ordinal) && message.IndexOf('\'', DuplicatePrefix.Length) is var end and > 0)
        {
            var name = message[DuplicatePrefix.Length..end];
            var parent = field is null ? null : field.EndsWith(name, StringComparison.Ordinal) ? field[..^name.Length].TrimEnd('.') : field;
            return string.IsNullOrEmpty(parent) ? $"'{name}' appears more than once." : $"'{name}' appears more than once in '{parent}'.";
        }

        var required = message.IndexOf(RequiredMarker, StringComparison.Ordinal);
        if (required >= 0)
        {
            return $"The body is missing required properties: {message[(required + RequiredMarker.Length)..].TrimEnd('.')}.";
        }

        return field is null ? message : $"{message} (at {field})";
    }

    /// <summary>True when <paramref name="exception"/> (or one it wraps) is the reader failing to decode a string.</summary>
    public static bool IsNotText(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception.Message.Contains("invalid UTF", StringComparison.OrdinalIgnoreCase)
                || exception.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"$.texts[0]" as "texts[0]"; null for the root.</summary>
    private static string? Field(string? path) =>
        path is null || path.Length <= 1 ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path[1..];

    /// <summary>What a primitive .NET type is in JSON; null for an object or collection type, whose converter names the parent.</summary>
    private static string? Expected(string type)
    {
        if (type.StartsWith("System.Nullable`1[", StringComparison.Ordinal))
        {
            type = type["System.Nullable`1[".Length..].TrimEnd(']');
        }

        return type switch
        {
            "System.String" => "a string",
            "System.Boolean" => "true or false",
            "System.Byte" or "System.SByte" or "System.Int16" or "System.UInt16" or "System.Int32" or "System.UInt32"
                or "System.Int64" or "System.UInt64" => "an integer in range",
            "System.Single" or "System.Double" or "System.Decimal" => "a number",
            "System.DateTime" or "System.DateTimeOffset" => "an ISO 8601 date and time",
            _ => null,
        };
    }
}
