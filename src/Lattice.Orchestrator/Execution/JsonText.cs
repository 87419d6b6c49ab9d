using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Lattice.ServiceDefaults.Json;

namespace Lattice.Orchestrator.Execution;

/// <summary>
/// Finds JSON strings that are not text: raw bytes that are not UTF-8, or an escaped unpaired surrogate (<c>"\ud800"</c>).
/// The reader and <c>JsonNode.Parse</c> accept most of them and throw <see cref="InvalidOperationException"/> only when
/// the string is decoded, which in a JsonNode tree is whenever something reads it (the input checks, a path, a comparison,
/// the answer's serializer): a 500 far from the cause. Checked once where the bytes arrive, it is the sender's mistake:
/// a client's 400, a step's invalid answer.
/// </summary>
internal static class JsonText
{
    public const string NameNotText = "is a name that " + JsonStrings.NotText;

    /// <summary>
    /// Finds the first string or property name in <paramref name="json"/> that is not text. <paramref name="where"/> is
    /// then its path (<c>text</c>, <c>meta.tags[0]</c>; empty for the root value), ending, for a name, with the name as
    /// sent (escapes kept, invalid bytes as U+FFFD); <paramref name="isName"/> tells which.
    /// </summary>
    /// <exception cref="JsonException">The JSON is malformed or nests deeper than <paramref name="options"/> allow.</exception>
    public static bool TryFindNotText(ReadOnlySpan<byte> json, JsonReaderOptions options, out string where, out bool isName)
    {
        var reader = new Utf8JsonReader(json, options);

        // One entry per open container: an array's current index, or where in json an object's current name is.
        // Names are decoded only to report a problem, so a valid document costs no string.
        var open = new List<Frame>();
        while (reader.Read())
        {
            if (open.Count > 0 && open[^1].IsArray && reader.TokenType != JsonTokenType.EndArray)
            {
                open[^1] = open[^1] with { Index = open[^1].Index + 1 };
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    open.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, -1, 0, 0));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.RemoveAt(open.Count - 1);
                    break;
                case JsonTokenType.PropertyName:
                    // The token starts at the opening quote; the name's bytes follow it.
                    open[^1] = open[^1] with { NameStart = (int)reader.TokenStartIndex + 1, NameLength = reader.ValueSpan.Length };
                    if (!IsText(ref reader))
                    {
                        (where, isName) = (Path(json, open), true);
                        return true;
                    }

                    break;
                case JsonTokenType.String when !IsText(ref reader):
                    (where, isName) = (Path(json, open), false);
                    return true;
            }
        }

        (where, isName) = (string.Empty, false);
        return false;
    }

    /// <summary>Whether the string under the reader decodes; allocates nothing but for long escaped strings (a pooled buffer).</summary>
    private static bool IsText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Utf8.IsValid(reader.ValueSpan);
        }

        // Escapes may spell an unpaired surrogate, which only unescaping finds; it throws then, as for invalid UTF-8.
        var length = reader.ValueSpan.Length;
        byte[]? rented = null;
        Span<byte> buffer = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            reader.CopyString(buffer);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string Path(ReadOnlySpan<byte> json, List<Frame> open)
    {
        var path = new StringBuilder();
        foreach (var frame in open)
        {
            if (frame.IsArray)
            {
                path.Append(CultureInfo.InvariantCulture, $"[{frame.Index}]");
            }
            else
            {
                path.Append(path.Length > 0 ? "." : string.Empty).Append(Name(json.Slice(frame.NameStart - 1, frame.NameLength + 2)));
            }
        }

        return path.ToString();
    }

    /// <summary>A name, from its quoted JSON text: decoded, or as sent when it does not decode.</summary>
    private static string Name(ReadOnlySpan<byte> quoted)
    {
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(quoted[1..^1]);
        }
    }

    private readonly record struct Frame(bool IsArray, int Index, int NameStart, int NameLength);
}
