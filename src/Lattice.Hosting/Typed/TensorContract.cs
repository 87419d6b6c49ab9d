using System.Text.Json;
using Lattice.Contracts.Inference;
using Lattice.Hosting.Protocol;
using Lattice.ServiceDefaults.Json;

namespace Lattice.Hosting.Typed;

/// <summary>
/// The Open Inference Protocol face of a typed model whose tensors are its own (strings in and lists out, a series in
/// and a horizon out) rather than one feature row in and floats out. <see cref="TensorInferenceApi.MapTensorInference"/>
/// serves it on <c>/v2/models/{name}</c>: metadata from <see cref="Inputs"/> and <see cref="Outputs"/>, inference by
/// <see cref="Bind"/> → <see cref="Operation"/> (through <see cref="TypedModel{TModel}"/>) → <see cref="WriteOutput"/>.
/// </summary>
public abstract class TensorContract<TModel, TRequest, TResult>
    where TModel : class
{
    /// <summary>The input tensors, as model metadata lists them (-1 for a variable dimension).</summary>
    public abstract IReadOnlyList<MetadataTensor> Inputs { get; }

    /// <summary>The output tensors, in the order a response without <c>outputs</c> returns them.</summary>
    public abstract IReadOnlyList<MetadataTensor> Outputs { get; }

    /// <summary>What inference runs on the model.</summary>
    public abstract ModelOperation<TModel, TRequest, TResult> Operation { get; }

    /// <summary>
    /// Turns the request's tensors into the operation's request, or refuses them (400). Declared shapes are within
    /// <c>MaxTensorElements</c> and every datatype is a known one by the time this runs; the data is not read yet.
    /// </summary>
    public abstract TensorBinding<TRequest> Bind(TensorInputs inputs);

    /// <summary>How many predictions the request holds (for the batch size metric). Default 1.</summary>
    public virtual int CountItems(TRequest request) => 1;

    /// <summary>Writes the <c>shape</c>, <c>datatype</c> and <c>data</c> members of output <paramref name="name"/> (see <see cref="TensorJson"/>).</summary>
    public abstract void WriteOutput(Utf8JsonWriter writer, string name, TRequest request, TResult result);
}

/// <summary>A request bound from tensors, or the reason it was refused.</summary>
public readonly struct TensorBinding<TRequest>
{
    private TensorBinding(TRequest? value, RequestRefusal? refusal)
    {
        Value = value;
        Refusal = refusal;
    }

    public TRequest? Value { get; }

    public RequestRefusal? Refusal { get; }

    public static TensorBinding<TRequest> Bound(TRequest request) => new(request, null);

    public static TensorBinding<TRequest> Refused(RequestRefusal refusal) => new(default, refusal);
}

/// <summary>
/// The input tensors of an inference request, with readers that check the datatype, take data flat or nested exactly as
/// the shape (flattened row-major), match the element count to the shape and enforce the text length limit. Numbers are
/// read exactly (FP64 stays FP64).
/// </summary>
public sealed class TensorInputs
{
    private delegate string? ElementReader<T>(JsonElement element, TensorDatatype datatype, out T value);

    internal TensorInputs(IReadOnlyList<InferenceRequestInput> inputs, ModelServerLimitsOptions limits)
    {
        All = inputs;
        Limits = limits;
    }

    public IReadOnlyList<InferenceRequestInput> All { get; }

    public ModelServerLimitsOptions Limits { get; }

    /// <summary>The input called <paramref name="name"/>, or null.</summary>
    public InferenceRequestInput? Find(string name)
    {
        foreach (var input in All)
        {
            if (string.Equals(input.Name, name, StringComparison.Ordinal))
            {
                return input;
            }
        }

        return null;
    }

    /// <summary>A refusal naming the first input that is not one of <paramref name="known"/> or that appears twice; null when all is well.</summary>
    public RequestRefusal? CheckNames(params string[] known)
    {
        ArgumentNullException.ThrowIfNull(known);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in All)
        {
            if (Array.IndexOf(known, input.Name) < 0)
            {
                return RequestRefusal.Invalid($"Unknown input '{input.Name}'; the model's inputs are {string.Join(", ", known)}.");
            }

            if (!seen.Add(input.Name))
            {
                return RequestRefusal.Invalid($"Input '{input.Name}' appears more than once.");
            }
        }

        return null;
    }

    /// <summary>
    /// A refusal when the input has another number of dimensions than <paramref name="declared"/> (its metadata) gives,
    /// e.g. <c>[1, 2]</c> for a declared <c>[-1]</c>; null when they agree. Each dimension's size is the contract's to check.
    /// </summary>
    public static RequestRefusal? CheckRank(InferenceRequestInput input, MetadataTensor declared)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(declared);
        return input.Shape.Count == declared.Shape.Count
            ? null
            : RequestRefusal.Invalid($"Input '{input.Name}' must have {declared.Shape.Count} dimension{(declared.Shape.Count == 1 ? "" : "s")}, as its metadata shape [{string.Join(", ", declared.Shape)}] declares; got [{string.Join(", ", input.Shape)}].");
    }

    /// <summary>Elements the input's shape declares.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape declares more than <see cref="int.MaxValue"/> elements.</exception>
    public static int ElementCount(InferenceRequestInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Any(d => d < 0) || !TensorShape.TryCountElements(input.Shape, int.MaxValue, out var count))
        {
            throw new ArgumentException($"Input '{input.Name}' declares shape [{string.Join(", ", input.Shape)}], which is not a size.", nameof(input));
        }

        return (int)count;
    }

    /// <summary>Reads a numeric tensor (FP16/32/64 or an integer type) as doubles; NaN and infinities are refused.</summary>
    public RequestRefusal? ReadNumbers(InferenceRequestInput input, out double[] values) =>
        Read(input, "a numeric datatype (FP64, FP32, FP16 or an integer type)",
            static d => d is not (TensorDatatype.Bytes or TensorDatatype.Bool), ReadNumber, out values);

    /// <summary>Reads an integer tensor (INT8..64, UINT8..64) exactly.</summary>
    public RequestRefusal? ReadIntegers(InferenceRequestInput input, out long[] values) =>
        Read(input, "an integer datatype (INT64, INT32, ...)",
            static d => d is not (TensorDatatype.Bytes or TensorDatatype.Bool or TensorDatatype.Fp16 or TensorDatatype.Fp32 or TensorDatatype.Fp64),
            ReadInteger, out values);

    /// <summary>Reads a BYTES tensor of strings, each at most <c>MaxTextLength</c> characters.</summary>
    public RequestRefusal? ReadStrings(InferenceRequestInput input, out string[] values)
    {
        var refusal = Read(input, "BYTES", static d => d == TensorDatatype.Bytes, ReadString, out values);
        if (refusal is null)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i].Length > Limits.MaxTextLength)
                {
                    return RequestRefusal.Limit($"Input '{input.Name}': element {i} is longer than {Limits.MaxTextLength} characters (limit MaxTextLength).");
                }
            }
        }

        return refusal;
    }

    private RequestRefusal? Read<T>(
        InferenceRequestInput input, string expected, Func<TensorDatatype, bool> accepts, ElementReader<T> read, out T[] values)
    {
        ArgumentNullException.ThrowIfNull(input);
        values = [];
        if (!InferenceRequestParser.TryParseDatatype(input.Datatype, out var datatype) || !accepts(datatype))
        {
            return RequestRefusal.Invalid($"Input '{input.Name}' must be {expected}; got {input.Datatype}.");
        }

        // The server checked the request's shapes before Bind; this also covers an input a contract built itself.
        if (input.Shape.Any(d => d < 0))
        {
            return RequestRefusal.Invalid($"Input '{input.Name}': 'shape' must be non-negative integers.");
        }

        if (!TensorShape.TryCountElements(input.Shape, Limits.MaxTensorElements, out var elements))
        {
            return RequestRefusal.Limit($"Input '{input.Name}' has more than {Limits.MaxTensorElements} elements (limit MaxTensorElements).");
        }

        if (input.Data.ValueKind != JsonValueKind.Array)
        {
            return RequestRefusal.Invalid($"Input '{input.Name}': 'data' must be an array.");
        }

        var flat = IsFlat(input.Data);
        if (!flat && !IsNestedAs(input.Data, input.Shape, 0))
        {
            return RequestRefusal.Invalid($"Input '{input.Name}': the nesting of 'data' does not match shape [{string.Join(", ", input.Shape)}]; give the data flat or nested exactly as the shape.");
        }

        // Counted before the buffer is made: a few bytes declaring a large shape must not cost its allocation.
        // (Data nested exactly as the shape holds exactly its element count.)
        if (flat && input.Data.GetArrayLength() is var length && length != elements)
        {
            return RequestRefusal.Invalid($"Input '{input.Name}': shape [{string.Join(", ", input.Shape)}] holds {elements} elements but 'data' has {length}.");
        }

        var buffer = new T[elements];
        var count = 0;
        if (Walk(input.Data, input.Name, datatype, buffer, ref count, read) is { } refusal)
        {
            return refusal;
        }

        if (count != buffer.Length)
        {
            return RequestRefusal.Invalid($"Input '{input.Name}': shape [{string.Join(", ", input.Shape)}] holds {buffer.Length} elements but 'data' has {count}.");
        }

        values = buffer;
        return null;
    }

    private static bool IsFlat(JsonElement data)
    {
        foreach (var element in data.EnumerateArray())
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="data"/> holds <c>shape[dimension]</c> items, arrays nested the same way down to the last dimension's values.</summary>
    private static bool IsNestedAs(JsonElement data, IReadOnlyList<long> shape, int dimension)
    {
        if (data.ValueKind != JsonValueKind.Array || dimension >= shape.Count || data.GetArrayLength() != shape[dimension])
        {
            return false;
        }

        var last = dimension == shape.Count - 1;
        foreach (var element in data.EnumerateArray())
        {
            if (last ? element.ValueKind == JsonValueKind.Array : !IsNestedAs(element, shape, dimension + 1))
            {
                return false;
            }
        }

        return true;
    }

    private static RequestRefusal? Walk<T>(JsonElement element, string name, TensorDatatype datatype, T[] values, ref int count, ElementReader<T> read)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            // Nested (natural) representation: flattened in row-major order.
            foreach (var child in element.EnumerateArray())
            {
                if (Walk(child, name, datatype, values, ref count, read) is { } refusal)
                {
                    return refusal;
                }
            }

            return null;
        }

        if (count == values.Length)
        {
            return RequestRefusal.Invalid($"Input '{name}': 'data' has more elements than its shape holds ({values.Length}).");
        }

        if (read(element, datatype, out values[count]) is { } problem)
        {
            return RequestRefusal.Invalid($"Input '{name}': element {count} {problem}.");
        }

        count++;
        return null;
    }

    private static string? ReadNumber(JsonElement element, TensorDatatype datatype, out double value)
    {
        value = 0;
        if (datatype is not (TensorDatatype.Fp16 or TensorDatatype.Fp32 or TensorDatatype.Fp64))
        {
            var problem = ReadInteger(element, datatype, out var integer);
            value = integer;
            return problem;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            return "is a string; NaN and infinities are not accepted";
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out value) || !double.IsFinite(value))
        {
            return "must be a finite number";
        }

        var fits = datatype switch
        {
            TensorDatatype.Fp16 => InferenceRequestParser.FitsFp16(value),
            TensorDatatype.Fp32 => InferenceRequestParser.FitsFp32(value),
            _ => true,
        };
        return fits ? null : "is out of the datatype's range";
    }

    private static string? ReadInteger(JsonElement element, TensorDatatype datatype, out long value)
    {
        value = 0;
        if (element.ValueKind != JsonValueKind.Number)
        {
            return "must be an integer";
        }

        if (datatype == TensorDatatype.UInt64)
        {
            if (!(element.TryGetUInt64(out var unsigned) || (element.TryGetInt64(out var zero) && zero == 0)) || unsigned > long.MaxValue)
            {
                return "must be a non-negative integer up to 2^63 - 1";
            }

            value = (long)unsigned;
            return null;
        }

        if (!element.TryGetInt64(out value))
        {
            return "must be an integer";
        }

        var fits = datatype switch
        {
            TensorDatatype.Int8 => value is >= sbyte.MinValue and <= sbyte.MaxValue,
            TensorDatatype.Int16 => value is >= short.MinValue and <= short.MaxValue,
            TensorDatatype.Int32 => value is >= int.MinValue and <= int.MaxValue,
            TensorDatatype.UInt8 => value is >= 0 and <= byte.MaxValue,
            TensorDatatype.UInt16 => value is >= 0 and <= ushort.MaxValue,
            TensorDatatype.UInt32 => value is >= 0 and <= uint.MaxValue,
            _ => true,
        };
        return fits ? null : "is out of the datatype's range";
    }

    private static string? ReadString(JsonElement element, TensorDatatype datatype, out string value)
    {
        value = string.Empty;
        if (element.ValueKind != JsonValueKind.String)
        {
            return "must be a string";
        }

        return JsonStrings.TryGetString(element, out value) ? null : JsonStrings.NotText;
    }
}

/// <summary>Helpers for writing an output tensor in <see cref="TensorContract{TModel, TRequest, TResult}.WriteOutput"/>.</summary>
public static class TensorJson
{
    /// <summary>Writes <c>shape</c> and <c>datatype</c> and opens <c>data</c>: write the values row-major, then <see cref="EndData"/>.</summary>
    public static void StartData(Utf8JsonWriter writer, string datatype, params ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray("shape"u8);
        foreach (var dimension in shape)
        {
            writer.WriteNumberValue(dimension);
        }

        writer.WriteEndArray();
        writer.WriteString("datatype"u8, datatype);
        writer.WriteStartArray("data"u8);
    }

    /// <summary>Closes the <c>data</c> array.</summary>
    public static void EndData(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteEndArray();
    }
}
