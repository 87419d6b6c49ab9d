using System.Text.Json;
using Lattice.Contracts.Inference;
using Lattice.ServiceDefaults.Json;

namespace Lattice.Hosting.Protocol;

/// <summary>Why a request was refused before it reached a model.</summary>
internal enum RequestError
{
    None,

    /// <summary>Malformed JSON, a missing or mistyped member, a datatype or shape mismatch: 400.</summary>
    BadInput,

    /// <summary>A configured limit was crossed (text length, items, tensor elements, JSON depth): 400.</summary>
    Limit,
}

/// <summary>The datatypes of the Open Inference Protocol, parsed.</summary>
internal enum TensorDatatype
{
    Bool,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Int8,
    Int16,
    Int32,
    Int64,
    Fp16,
    Fp32,
    Fp64,
    Bytes,
}

/// <summary>One parsed input tensor: strings for BYTES, floats for every numeric datatype.</summary>
internal sealed class ParsedTensor
{
    public required string Name { get; init; }

    public required long[] Shape { get; init; }

    public required TensorDatatype Datatype { get; init; }

    public string[]? Strings { get; set; }

    public float[]? Numbers { get; set; }

    /// <summary>Whether a numeric tensor holds NaN or an infinity (given as the strings "NaN", "Infinity", "-Infinity").</summary>
    public bool HasNonFinite { get; set; }
}

/// <summary>A parsed OIP inference request.</summary>
internal sealed class ParsedInferenceRequest
{
    public string? Id { get; set; }

    /// <summary>The <c>routing_key</c> request parameter (sticky routing), if given.</summary>
    public string? RoutingKey { get; set; }

    public List<ParsedTensor> Inputs { get; } = [];

    /// <summary>The outputs asked for, in order; null for every output (no <c>outputs</c>, or an empty list).</summary>
    public List<string>? Outputs { get; set; }
}

/// <summary>
/// Reads an OIP inference request straight from UTF-8 with <see cref="Utf8JsonReader"/>: one pass, typed
/// storage per datatype, and every limit enforced while reading (a huge tensor is refused before it is built).
/// </summary>
internal ref struct InferenceRequestParser
{
    public const string RoutingKeyParameter = "routing_key";

    private readonly ModelServerLimitsOptions _limits;
    private long _elements;

    private InferenceRequestParser(ModelServerLimitsOptions limits) => _limits = limits;

    public string? Error { get; private set; }

    public RequestError Kind { get; private set; }

    public static RequestError Parse(ReadOnlySpan<byte> json, ModelServerLimitsOptions limits, out ParsedInferenceRequest request, out string? error)
    {
        var parser = new InferenceRequestParser(limits);
        request = new ParsedInferenceRequest();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = limits.MaxJsonDepth });
        try
        {
            parser.ReadRequest(ref reader, request);
        }
        catch (JsonException ex)
        {
            var depth = JsonErrors.IsTooDeep(ex);
            parser.Fail(depth ? RequestError.Limit : RequestError.BadInput,
                depth ? $"The JSON nests deeper than {limits.MaxJsonDepth} levels." : $"The body is not valid JSON: {FirstSentence(ex.Message)}");
        }
        catch (InvalidOperationException ex)
        {
            // Decoding a string (an id, a name, a text) that is not text; the reader's own words name UTF-8 even for an
            // escaped surrogate in a valid UTF-8 body.
            parser.Fail(RequestError.BadInput, JsonErrors.IsNotText(ex)
                ? $"The body holds a string that {JsonStrings.NotText}."
                : $"The body is not valid JSON: {FirstSentence(ex.Message)}");
        }

        error = parser.Error;
        return parser.Kind;
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }

    private bool Fail(RequestError kind, string message)
    {
        if (Kind == RequestError.None)
        {
            Kind = kind;
            Error = message;
        }

        return false;
    }

    [Flags]
    private enum KnownMember
    {
        None = 0,
        Id = 1,
        Parameters = 2,
        Inputs = 4,
        Outputs = 8,
    }

    /// <summary>A request member given twice is ambiguous (which one counts?): refused rather than merged or last-wins.</summary>
    private bool FirstTime(ref KnownMember seen, KnownMember member, string name)
    {
        if ((seen & member) != 0)
        {
            return Fail(RequestError.BadInput, $"'{name}' appears more than once.");
        }

        seen |= member;
        return true;
    }

    private bool ReadRequest(ref Utf8JsonReader reader, ParsedInferenceRequest request)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return Fail(RequestError.BadInput, RequestBody.NotAnObject);
        }

        var seen = KnownMember.None;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                if (!FirstTime(ref seen, KnownMember.Id, "id"))
                {
                    return false;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return Fail(RequestError.BadInput, "'id' must be a string.");
                }

                request.Id = reader.GetString();
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                if (!FirstTime(ref seen, KnownMember.Parameters, "parameters"))
                {
                    return false;
                }

                reader.Read();
                if (!ReadParameters(ref reader, "parameters", request))
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                if (!FirstTime(ref seen, KnownMember.Inputs, "inputs"))
                {
                    return false;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return Fail(RequestError.BadInput, "'inputs' must be an array of tensors.");
                }

                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    if (!ReadInput(ref reader, request))
                    {
                        return false;
                    }
                }
            }
            else if (reader.ValueTextEquals("outputs"u8))
            {
                if (!FirstTime(ref seen, KnownMember.Outputs, "outputs"))
                {
                    return false;
                }

                reader.Read();
                if (!ReadOutputs(ref reader, request))
                {
                    return false;
                }
            }
            else
            {
                reader.Read();
                reader.Skip(); // unknown members are ignored, as the protocol leaves room for extensions
            }
        }

        if (reader.Read())
        {
            return Fail(RequestError.BadInput, "The body has content after its JSON object.");
        }

        if ((seen & KnownMember.Inputs) == 0 || request.Inputs.Count == 0)
        {
            return Fail(RequestError.BadInput, "'inputs' is required and must hold at least one tensor.");
        }

        return true;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The JSON ended early.");
        }

        return reader.TokenType;
    }

    private bool ReadParameters(ref Utf8JsonReader reader, string where, ParsedInferenceRequest? request)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Fail(RequestError.BadInput, $"'{where}' must be an object.");
        }

        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var isRoutingKey = reader.ValueTextEquals(RoutingKeyParameter);
            var name = reader.GetString();
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    if (isRoutingKey && request is not null)
                    {
                        request.RoutingKey = reader.GetString();
                    }

                    break;
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                    if (isRoutingKey)
                    {
                        return Fail(RequestError.BadInput, $"Parameter '{RoutingKeyParameter}' must be a string.");
                    }

                    break;
                default:
                    return Fail(RequestError.BadInput, $"Parameter '{name}' in '{where}' must be a string, number or boolean.");
            }
        }

        return true;
    }

    private bool ReadOutputs(ref Utf8JsonReader reader, ParsedInferenceRequest request)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return Fail(RequestError.BadInput, "'outputs' must be an array of {\"name\": ...} objects.");
        }

        request.Outputs = [];
        HashSet<string>? seen = null; // past a few names: a list scan per name would be quadratic in a 1 MiB body
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return Fail(RequestError.BadInput, "Each requested output must be an object with a 'name'.");
            }

            string? name = null;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return Fail(RequestError.BadInput, "An output's 'name' must be a string.");
                    }

                    name = reader.GetString();
                }
                else if (reader.ValueTextEquals("parameters"u8))
                {
                    reader.Read();
                    if (!ReadParameters(ref reader, "outputs[].parameters", null))
                    {
                        return false;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (string.IsNullOrEmpty(name))
            {
                return Fail(RequestError.BadInput, "Each requested output needs a 'name'.");
            }

            if (request.Outputs.Count == 8)
            {
                seen = new HashSet<string>(request.Outputs, StringComparer.Ordinal);
            }

            if (seen is null ? request.Outputs.Contains(name) : !seen.Add(name))
            {
                return Fail(RequestError.BadInput, $"Output '{name}' is requested more than once.");
            }

            request.Outputs.Add(name);
        }

        if (request.Outputs.Count == 0)
        {
            request.Outputs = null; // an empty list asks for every output, as Triton reads it
        }

        return true;
    }

    private bool ReadInput(ref Utf8JsonReader reader, ParsedInferenceRequest request)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Fail(RequestError.BadInput, "Each input must be a tensor object.");
        }

        string? name = null;
        string? datatypeName = null;
        long[]? shape = null;
        Utf8JsonReader data = default;
        var sawData = false;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return Fail(RequestError.BadInput, "An input's 'name' must be a string.");
                }

                name = reader.GetString();
            }
            else if (reader.ValueTextEquals("datatype"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return Fail(RequestError.BadInput, "An input's 'datatype' must be a string.");
                }

                datatypeName = reader.GetString();
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                reader.Read();
                shape = ReadShape(ref reader);
                if (shape is null)
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                reader.Read();
                if (!ReadParameters(ref reader, "inputs[].parameters", null))
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                data = reader; // a copy of the reader is a bookmark: parse once the datatype and shape are known
                sawData = true;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (string.IsNullOrEmpty(name) || datatypeName is null || shape is null || !sawData)
        {
            return Fail(RequestError.BadInput, $"Input '{name ?? "?"}' needs 'name', 'shape', 'datatype' and 'data'.");
        }

        if (!TryParseDatatype(datatypeName, out var datatype))
        {
            return Fail(RequestError.BadInput, $"Input '{name}' has unknown datatype '{datatypeName}'.");
        }

        if (!TensorShape.TryCountElements(shape, _limits.MaxTensorElements, out var count))
        {
            return Fail(RequestError.Limit, $"Input '{name}' has more than {_limits.MaxTensorElements} elements (limit MaxTensorElements).");
        }

        _elements += count; // each count is within the limit and non-negative: the total only grows, and cannot overflow
        if (_elements > _limits.MaxTensorElements)
        {
            return Fail(RequestError.Limit, $"The request has more than {_limits.MaxTensorElements} tensor elements (limit MaxTensorElements).");
        }

        var tensor = new ParsedTensor { Name = name, Shape = shape, Datatype = datatype };
        if (!ReadData(ref data, tensor, (int)count))
        {
            return false;
        }

        request.Inputs.Add(tensor);
        return true;
    }

    private long[]? ReadShape(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            Fail(RequestError.BadInput, "'shape' must be an array of non-negative integers.");
            return null;
        }

        var shape = new List<long>(2);
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var dimension) || dimension < 0)
            {
                Fail(RequestError.BadInput, "'shape' must be an array of non-negative integers.");
                return null;
            }

            if (shape.Count == 8)
            {
                Fail(RequestError.BadInput, "'shape' has more than 8 dimensions.");
                return null;
            }

            shape.Add(dimension);
        }

        return [.. shape];
    }

    private bool ReadData(ref Utf8JsonReader reader, ParsedTensor tensor, int expected)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return Fail(RequestError.BadInput, $"Input '{tensor.Name}': 'data' must be an array.");
        }

        if (tensor.Datatype == TensorDatatype.Bytes)
        {
            tensor.Strings = new string[expected];
        }
        else
        {
            tensor.Numbers = new float[expected];
        }

        // Data is flat, or nested exactly as the shape (an array per dimension, each holding that dimension's items).
        var shape = tensor.Shape;
        Span<long> items = stackalloc long[shape.Length + 1]; // nested: items seen so far in the open array of each dimension
        var nested = false;
        var count = 0;
        var depth = reader.CurrentDepth;
        while (Next(ref reader) is var token && !(token == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            var dimension = reader.CurrentDepth - depth - 1; // the dimension of the array this token sits in
            if (token == JsonTokenType.EndArray)
            {
                if (items[dimension + 1] != shape[dimension + 1])
                {
                    return Misnested(tensor);
                }

                continue;
            }

            nested |= count == 0 && dimension == 0 && token == JsonTokenType.StartArray;
            if (nested)
            {
                items[dimension]++;
            }

            if (token == JsonTokenType.StartArray)
            {
                if (!nested || dimension + 1 >= shape.Length)
                {
                    return Misnested(tensor);
                }

                items[dimension + 1] = 0;
                continue;
            }

            if (nested && dimension != shape.Length - 1)
            {
                return Misnested(tensor);
            }

            if (count == expected)
            {
                return Fail(RequestError.BadInput, $"Input '{tensor.Name}': 'data' has more elements than shape [{string.Join(", ", shape)}] holds ({expected}).");
            }

            if (!ReadElement(ref reader, tensor, count))
            {
                return false;
            }

            count++;
        }

        if (nested && items[0] != shape[0])
        {
            return Misnested(tensor);
        }

        return count == expected
            || Fail(RequestError.BadInput, $"Input '{tensor.Name}': shape [{string.Join(", ", shape)}] holds {expected} elements but 'data' has {count}.");
    }

    private bool Misnested(ParsedTensor tensor) =>
        Fail(RequestError.BadInput, $"Input '{tensor.Name}': the nesting of 'data' does not match shape [{string.Join(", ", tensor.Shape)}]; give the data flat or nested exactly as the shape.");

    private bool ReadElement(ref Utf8JsonReader reader, ParsedTensor tensor, int index)
    {
        var datatype = tensor.Datatype;
        if (datatype == TensorDatatype.Bytes)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return Fail(RequestError.BadInput, $"Input '{tensor.Name}': BYTES elements must be strings (element {index}).");
            }

            var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            if (length > 6L * _limits.MaxTextLength + 16)
            {
                return Fail(RequestError.Limit, $"Input '{tensor.Name}': element {index} is longer than {_limits.MaxTextLength} characters (limit MaxTextLength).");
            }

            var text = reader.GetString()!;
            if (text.Length > _limits.MaxTextLength)
            {
                return Fail(RequestError.Limit, $"Input '{tensor.Name}': element {index} is longer than {_limits.MaxTextLength} characters (limit MaxTextLength).");
            }

            tensor.Strings![index] = text;
            return true;
        }

        float value;
        switch (datatype)
        {
            case TensorDatatype.Bool:
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    return Fail(RequestError.BadInput, $"Input '{tensor.Name}': BOOL elements must be true or false (element {index}).");
                }

                value = reader.TokenType == JsonTokenType.True ? 1f : 0f;
                break;
            case TensorDatatype.UInt64:
                if (reader.TokenType != JsonTokenType.Number || !TryGetUInt64(ref reader, out var unsigned))
                {
                    return Fail(RequestError.BadInput, $"Input '{tensor.Name}': UINT64 elements must be non-negative integers (element {index}).");
                }

                value = unsigned;
                break;
            case TensorDatatype.Fp16 or TensorDatatype.Fp32 or TensorDatatype.Fp64:
                if (!ReadFloat(ref reader, tensor, index, out value))
                {
                    return false;
                }

                break;
            default:
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var integer) || !InRange(datatype, integer))
                {
                    return Fail(RequestError.BadInput, $"Input '{tensor.Name}': {Name(datatype)} elements must be integers in the type's range (element {index}).");
                }

                value = integer;
                break;
        }

        tensor.Numbers![index] = value;
        return true;
    }

    private bool ReadFloat(ref Utf8JsonReader reader, ParsedTensor tensor, int index, out float value)
    {
        value = 0;
        if (reader.TokenType == JsonTokenType.String)
        {
            // JSON has no NaN or infinity; the strings are accepted here and refused later unless the model allows them.
            if (reader.ValueTextEquals("NaN"u8))
            {
                value = float.NaN;
            }
            else if (reader.ValueTextEquals("Infinity"u8) || reader.ValueTextEquals("inf"u8))
            {
                value = float.PositiveInfinity;
            }
            else if (reader.ValueTextEquals("-Infinity"u8) || reader.ValueTextEquals("-inf"u8))
            {
                value = float.NegativeInfinity;
            }
            else
            {
                return Fail(RequestError.BadInput, $"Input '{tensor.Name}': {Name(tensor.Datatype)} elements must be numbers (element {index}).");
            }

            tensor.HasNonFinite = true;
            return true;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            return Fail(RequestError.BadInput, $"Input '{tensor.Name}': {Name(tensor.Datatype)} elements must be finite numbers (element {index}).");
        }

        if (tensor.Datatype == TensorDatatype.Fp16 && !FitsFp16(number))
        {
            return Fail(RequestError.BadInput, $"Input '{tensor.Name}': element {index} is out of the FP16 range.");
        }

        // Models take FP32: an FP64 value beyond its range would become an infinity, which the model never accepted.
        if (!FitsFp32(number))
        {
            return Fail(RequestError.BadInput, tensor.Datatype == TensorDatatype.Fp64
                ? $"Input '{tensor.Name}': element {index} does not fit FP32, the datatype the model takes."
                : $"Input '{tensor.Name}': element {index} is out of the FP32 range.");
        }

        value = (float)number;
        return true;
    }

    /// <summary>
    /// True when <paramref name="number"/> rounds to a finite FP16 value: 65519 rounds to 65504 (the largest), 65520 to
    /// infinity. A bound check against <see cref="Half.MaxValue"/> would refuse values that round down to it.
    /// </summary>
    internal static bool FitsFp16(double number) => Half.IsFinite((Half)number);

    /// <summary>
    /// True when <paramref name="number"/> rounds to a finite FP32 value: 3.4028235e38, how .NET writes
    /// <see cref="float.MaxValue"/>, is slightly above it as a double and still rounds to it.
    /// </summary>
    internal static bool FitsFp32(double number) => float.IsFinite((float)number);

    /// <summary>A UINT64 element: any unsigned integer, and <c>-0</c> (zero, as the smaller unsigned types accept it).</summary>
    internal static bool TryGetUInt64(ref Utf8JsonReader reader, out ulong value)
    {
        if (reader.TryGetUInt64(out value))
        {
            return true;
        }

        value = 0;
        return reader.TryGetInt64(out var signed) && signed == 0;
    }

    private static bool InRange(TensorDatatype datatype, long value) => datatype switch
    {
        TensorDatatype.Int8 => value is >= sbyte.MinValue and <= sbyte.MaxValue,
        TensorDatatype.Int16 => value is >= short.MinValue and <= short.MaxValue,
        TensorDatatype.Int32 => value is >= int.MinValue and <= int.MaxValue,
        TensorDatatype.Int64 => true,
        TensorDatatype.UInt8 => value is >= 0 and <= byte.MaxValue,
        TensorDatatype.UInt16 => value is >= 0 and <= ushort.MaxValue,
        TensorDatatype.UInt32 => value is >= 0 and <= uint.MaxValue,
        _ => false,
    };

    public static bool TryParseDatatype(string name, out TensorDatatype datatype)
    {
        datatype = name switch
        {
            InferenceDatatypes.Bool => TensorDatatype.Bool,
            InferenceDatatypes.UInt8 => TensorDatatype.UInt8,
            InferenceDatatypes.UInt16 => TensorDatatype.UInt16,
            InferenceDatatypes.UInt32 => TensorDatatype.UInt32,
            InferenceDatatypes.UInt64 => TensorDatatype.UInt64,
            InferenceDatatypes.Int8 => TensorDatatype.Int8,
            InferenceDatatypes.Int16 => TensorDatatype.Int16,
            InferenceDatatypes.Int32 => TensorDatatype.Int32,
            InferenceDatatypes.Int64 => TensorDatatype.Int64,
            InferenceDatatypes.Fp16 => TensorDatatype.Fp16,
            InferenceDatatypes.Fp32 => TensorDatatype.Fp32,
            InferenceDatatypes.Fp64 => TensorDatatype.Fp64,
            InferenceDatatypes.Bytes => TensorDatatype.Bytes,
            _ => (TensorDatatype)(-1),
        };
        return (int)datatype >= 0;
    }

    public static string Name(TensorDatatype datatype) => datatype switch
    {
        TensorDatatype.Bool => InferenceDatatypes.Bool,
        TensorDatatype.UInt8 => InferenceDatatypes.UInt8,
        TensorDatatype.UInt16 => InferenceDatatypes.UInt16,
        TensorDatatype.UInt32 => InferenceDatatypes.UInt32,
        TensorDatatype.UInt64 => InferenceDatatypes.UInt64,
        TensorDatatype.Int8 => InferenceDatatypes.Int8,
        TensorDatatype.Int16 => InferenceDatatypes.Int16,
        TensorDatatype.Int32 => InferenceDatatypes.Int32,
        TensorDatatype.Int64 => InferenceDatatypes.Int64,
        TensorDatatype.Fp16 => InferenceDatatypes.Fp16,
        TensorDatatype.Fp32 => InferenceDatatypes.Fp32,
        TensorDatatype.Fp64 => InferenceDatatypes.Fp64,
        _ => InferenceDatatypes.Bytes,
    };
}
