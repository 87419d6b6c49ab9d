using System.Buffers.Text;
using System.Text;

namespace Lattice.ML.ModelFiles;

/// <summary>A small strict JSON reader for model metadata: objects, arrays, strings, numbers, booleans, null.</summary>
/// <remarks>
/// Loading a model is on the start-up path of every prediction process and model server; the first use
/// of System.Text.Json (document or serializer) and of culture-aware parsing costs more CPU than reading
/// and verifying a whole model, so metadata is read with this instead. Objects become
/// <see cref="Dictionary{TKey, TValue}"/> of string to value, arrays <see cref="List{T}"/>, numbers
/// <see cref="double"/>. Any syntax error throws <see cref="FormatException"/> with the byte offset.
/// </remarks>
internal ref struct JsonLite
{
    private const int MaxDepth = 64;
    private readonly ReadOnlySpan<byte> _json;
    private int _position;
    private bool _firstProperty;

    public JsonLite(ReadOnlySpan<byte> json)
    {
        _json = json;
        _position = 0;
        _firstProperty = false;
    }

    /// <summary>Parses a whole document into a value tree.</summary>
    public static object? Parse(ReadOnlySpan<byte> json)
    {
        var reader = new JsonLite(json);
        var value = reader.ReadValue();
        reader.EndOfDocument();
        return value;
    }

    public void StartObject()
    {
        SkipWhitespace();
        Expect((byte)'{');
        _firstProperty = true;
    }

    /// <summary>Moves to the next property of the current object; false at its closing brace.</summary>
    public bool NextProperty(out string name)
    {
        SkipWhitespace();
        if (Peek() == '}')
        {
            _position++;
            name = string.Empty;
            return false;
        }

        if (!_firstProperty)
        {
            Expect((byte)',');
            SkipWhitespace();
        }

        _firstProperty = false;

        name = ReadString();
        SkipWhitespace();
        Expect((byte)':');
        return true;
    }

    public object? ReadValue() => ReadValue(0);

    /// <summary>Skips the next value and returns its JSON text.</summary>
    public string ReadRaw()
    {
        SkipWhitespace();
        var start = _position;
        _ = ReadValue(0);
        return Encoding.UTF8.GetString(_json[start.._position]);
    }

    public void EndOfDocument()
    {
        SkipWhitespace();
        if (_position != _json.Length)
        {
            throw Error("unexpected content after the end");
        }
    }

    private object? ReadValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error("nesting is too deep");
        }

        SkipWhitespace();
        switch (Peek())
        {
            case (byte)'{':
                {
                    _position++;
                    var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                    SkipWhitespace();
                    if (Peek() == '}')
                    {
                        _position++;
                        return result;
                    }

                    while (true)
                    {
                        SkipWhitespace();
                        var name = ReadString();
                        SkipWhitespace();
                        Expect((byte)':');
                        result[name] = ReadValue(depth + 1);
                        SkipWhitespace();
                        if (Peek() == ',')
                        {
                            _position++;
                            continue;
                        }

                        Expect((byte)'}');
                        return result;
                    }
                }

            case (byte)'[':
                {
                    _position++;
                    var result = new List<object?>();
                    SkipWhitespace();
                    if (Peek() == ']')
                    {
                        _position++;
                        return result;
                    }

                    while (true)
                    {
                        result.Add(ReadValue(depth + 1));
                        SkipWhitespace();
                        if (Peek() == ',')
                        {
                            _position++;
                            continue;
                        }

                        Expect((byte)']');
                        return result;
                    }
                }

            case (byte)'"':
                return ReadString();
            case (byte)'t':
                ExpectLiteral("true"u8);
                return true;
            case (byte)'f':
                ExpectLiteral("false"u8);
                return false;
            case (byte)'n':
                ExpectLiteral("null"u8);
                return null;
            default:
                return ReadNumber();
        }
    }

    private double ReadNumber()
    {
        var start = _position;
        while (_position < _json.Length && _json[_position] is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E' or (>= (byte)'0' and <= (byte)'9'))
        {
            _position++;
        }

        var text = _json[start.._position];
        if (text.IsEmpty)
        {
            throw Error("a value was expected");
        }

        return Utf8Parser.TryParse(text, out double value, out var consumed, 'E') && consumed == text.Length
            || Utf8Parser.TryParse(text, out value, out consumed) && consumed == text.Length
            ? value
            : throw Error("invalid number");
    }

    private string ReadString()
    {
        Expect((byte)'"');
        var start = _position;
        var simple = true;
        while (true)
        {
            if (_position >= _json.Length)
            {
                throw Error("unterminated string");
            }

            var b = _json[_position];
            if (b == '"')
            {
                break;
            }

            if (b < 0x20)
            {
                throw Error("control character in string");
            }

            if (b == '\\')
            {
                simple = false;
                _position++;
            }

            _position++;
        }

        var raw = _json[start.._position];
        _position++;
        return simple ? Encoding.UTF8.GetString(raw) : Unescape(raw);
    }

    private string Unescape(ReadOnlySpan<byte> raw)
    {
        var builder = new StringBuilder(raw.Length);
        var i = 0;
        while (i < raw.Length)
        {
            var next = raw[i..].IndexOf((byte)'\\');
            if (next < 0)
            {
                builder.Append(Encoding.UTF8.GetString(raw[i..]));
                break;
            }

            builder.Append(Encoding.UTF8.GetString(raw.Slice(i, next)));
            i += next + 1;
            var escape = raw[i++];
            switch (escape)
            {
                case (byte)'"': builder.Append('"'); break;
                case (byte)'\\': builder.Append('\\'); break;
                case (byte)'/': builder.Append('/'); break;
                case (byte)'b': builder.Append('\b'); break;
                case (byte)'f': builder.Append('\f'); break;
                case (byte)'n': builder.Append('\n'); break;
                case (byte)'r': builder.Append('\r'); break;
                case (byte)'t': builder.Append('\t'); break;
                case (byte)'u':
                    if (i + 4 > raw.Length || !Utf8Parser.TryParse(raw.Slice(i, 4), out ushort code, out var consumed, 'X') || consumed != 4)
                    {
                        throw Error("invalid \\u escape");
                    }

                    builder.Append((char)code);
                    i += 4;
                    break;
                default:
                    throw Error("invalid escape");
            }
        }

        return builder.ToString();
    }

    private void ExpectLiteral(ReadOnlySpan<byte> literal)
    {
        if (!_json[_position..].StartsWith(literal))
        {
            throw Error("invalid literal");
        }

        _position += literal.Length;
    }

    private void Expect(byte c)
    {
        if (Peek() != c)
        {
            throw Error($"'{(char)c}' expected");
        }

        _position++;
    }

    private readonly int Peek() => _position < _json.Length ? _json[_position] : -1;

    private void SkipWhitespace()
    {
        while (_position < _json.Length && _json[_position] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            _position++;
        }
    }

    private readonly FormatException Error(string what) => new($"Invalid JSON at byte {_position}: {what}.");
}
