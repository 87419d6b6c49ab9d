using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Lattice.ML.ModelFiles;

namespace Lattice.ML.Classification;

/// <summary>A linear scorer over sparse inputs: scores = bias + Σ value·W[row], probabilities = softmax(scores / T).</summary>
/// <remarks>
/// Logistic regression and multinomial naive Bayes (whose log-probabilities are linear in the counts)
/// both predict through it. Two storages: <see cref="DenseLinearModel"/> (every row holds every class)
/// and <see cref="SparseLinearModel"/> (a per-class base plus a few per-row exceptions, which is what
/// naive Bayes weights are: most n-grams occur in few classes).
/// </remarks>
internal abstract class LinearModel
{
    protected LinearModel(float[] bias, float temperature)
    {
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentOutOfRangeException.ThrowIfZero(bias.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(temperature);
        Bias = bias;
        Temperature = temperature;
    }

    public float[] Bias { get; }

    public float Temperature { get; set; }

    public int ClassCount => Bias.Length;

    public abstract int RowCount { get; }

    /// <summary>Writes bias + Σ values[i]·W[rows[i]] into scores (length ≥ <see cref="ClassCount"/>).</summary>
    public abstract void Score(ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> scores);

    /// <summary>How the weights are stored in the file (and, for 8-bit, in memory).</summary>
    public abstract WeightPrecision Precision { get; }

    /// <summary>A model whose in-memory weights are exactly what a file of the given precision holds,
    /// so a trained model and its saved file predict the same.</summary>
    public abstract LinearModel WithPrecision(WeightPrecision precision);

    /// <summary>Adds the weight sections to a model file.</summary>
    public abstract void WriteTo(ModelFileWriter writer);

    /// <summary>Reads whichever storage the file holds.</summary>
    public static LinearModel ReadFrom(ModelFile file, int rows, int classes)
    {
        var bias = file.ToArray<float>("bias");
        var temperature = file.GetSpan<float>("temperature");
        if (bias.Length != classes || temperature.Length != 1 || !(temperature[0] > 0f) || !float.IsFinite(temperature[0]))
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has an invalid bias or temperature.");
        }

        if (file.Contains("weights_q8"))
        {
            return QuantizedLinearModel.Read(file, rows, bias, temperature[0]);
        }

        return file.Contains("weights")
            ? DenseLinearModel.Read(file, rows, bias, temperature[0])
            : SparseLinearModel.Read(file, rows, bias, temperature[0]);
    }

    /// <summary>Turns scores into calibrated probabilities (in place is allowed).</summary>
    public void ToProbabilities(ReadOnlySpan<float> scores, Span<float> probabilities) =>
        VectorMath.Softmax(scores[..ClassCount], 1f / Temperature, probabilities[..ClassCount]);

    protected static float[] ReadFloats(ModelFile file, string name)
    {
        if (file.GetSection(name).DataType != TensorDataType.Float16)
        {
            return file.ToArray<float>(name);
        }

        var half = file.GetSpan<Half>(name);
        var values = new float[half.Length];
        TensorPrimitives.ConvertToSingle(half, values);
        return values;
    }

    protected static WeightPrecision PrecisionOf(ModelFile file, string name) =>
        file.GetSection(name).DataType == TensorDataType.Float16 ? WeightPrecision.Float16 : WeightPrecision.Float32;

    protected static void WriteFloats(ModelFileWriter writer, string name, float[] values, WeightPrecision precision, params ReadOnlySpan<long> shape)
    {
        if (precision == WeightPrecision.Float16)
        {
            var half = new Half[values.Length];
            TensorPrimitives.ConvertToHalf(values, half);
            writer.Add<Half>(name, half, shape);
        }
        else
        {
            writer.Add<float>(name, values, shape);
        }
    }

    protected static void Round(float[] values)
    {
        var half = new Half[values.Length];
        TensorPrimitives.ConvertToHalf(values, half);
        TensorPrimitives.ConvertToSingle(half, values);
    }

    protected void WriteCommon(ModelFileWriter writer)
    {
        writer.Add<float>("bias", Bias);
        writer.Add<float>("temperature", [Temperature]);
    }
}

/// <summary>Row-major [rows × classes] weights: the weights of one feature are contiguous.</summary>
internal sealed class DenseLinearModel : LinearModel
{
    private readonly int _stride;

    // Rows padded to the kernel's stride; the only copy of the weights (loading a model copies once).
    private readonly float[] _padded;

    public DenseLinearModel(ReadOnlySpan<float> weights, float[] bias, float temperature, WeightPrecision precision = WeightPrecision.Float32)
        : base(bias, temperature)
    {
        if (weights.Length % bias.Length != 0)
        {
            throw new ArgumentException("Weights must hold a whole number of rows.", nameof(weights));
        }

        if (precision == WeightPrecision.Int8)
        {
            throw new ArgumentException("8-bit weights are a QuantizedLinearModel.", nameof(precision));
        }

        Precision = precision;
        _stride = RowKernel.Stride(bias.Length);
        _padded = RowKernel.Pad(weights, bias.Length);
        RowCount = weights.Length / bias.Length;
    }

    public override WeightPrecision Precision { get; }

    public override int RowCount { get; }

    /// <summary>The weights as a row-major [rows × classes] copy (for saving and inspection).</summary>
    public float[] Weights
    {
        get
        {
            var classes = Bias.Length;
            var weights = new float[RowCount * classes];
            for (var r = 0; r < RowCount; r++)
            {
                _padded.AsSpan(r * _stride, classes).CopyTo(weights.AsSpan(r * classes));
            }

            return weights;
        }
    }

    public override void Score(ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> scores)
    {
        var classes = Bias.Length;
        Bias.CopyTo(scores);
        scores = scores[..classes];
        var weights = _padded.AsSpan();
        if (classes == 2)
        {
            // Binary tasks: two running sums in registers.
            float s0 = scores[0], s1 = scores[1];
            for (var i = 0; i < rows.Length; i++)
            {
                var offset = rows[i] * 2;
                s0 += values[i] * weights[offset];
                s1 += values[i] * weights[offset + 1];
            }

            scores[0] = s0;
            scores[1] = s1;
            return;
        }

        if (_stride == classes)
        {
            for (var i = 0; i < rows.Length; i++)
            {
                VectorMath.MultiplyAdd(weights.Slice(rows[i] * classes, classes), values[i], scores);
            }

            return;
        }

        var accumulator = RowKernel.GetScratch(_stride, 0).Accumulator.AsSpan(0, _stride);
        accumulator.Clear();
        Bias.CopyTo(accumulator);
        RowKernel.AddRows(_padded, _stride, rows, values, accumulator);
        accumulator[..classes].CopyTo(scores);
    }

    public override LinearModel WithPrecision(WeightPrecision precision)
    {
        switch (precision)
        {
            case WeightPrecision.Int8:
                return QuantizedLinearModel.Quantize(this);
            case WeightPrecision.Float16:
                var weights = Weights;
                Round(weights);
                return new DenseLinearModel(weights, Bias, Temperature, precision);
            default:
                return new DenseLinearModel(Weights, Bias, Temperature, precision);
        }
    }

    public override void WriteTo(ModelFileWriter writer)
    {
        WriteFloats(writer, "weights", Weights, Precision, RowCount, ClassCount);
        WriteCommon(writer);
    }

    public static DenseLinearModel Read(ModelFile file, int rows, float[] bias, float temperature)
    {
        var precision = PrecisionOf(file, "weights");
        var count = file.GetSection("weights").ElementCount;
        if (count != (long)rows * bias.Length)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has {count} weights, expected {rows} × {bias.Length}.");
        }

        // Float32 weights go straight from the file's bytes into the padded rows: one copy, no temporary.
        return precision == WeightPrecision.Float32
            ? new DenseLinearModel(file.GetSpan<float>("weights"), bias, temperature, precision)
            : new DenseLinearModel(ReadFloats(file, "weights"), bias, temperature, precision);
    }
}

/// <summary>W[row, c] = ClassBase[c] + (the row's exception for c, or 0): a per-class default plus sparse per-row deltas.</summary>
/// <remarks>Naive Bayes gives every unseen (feature, class) pair the same smoothed log-probability, so
/// only pairs seen in training differ from the class default; storing just those makes a 75-language
/// model ~10× smaller and faster to score than a dense matrix.</remarks>
internal sealed class SparseLinearModel : LinearModel
{
    public SparseLinearModel(int[] rowStart, ushort[] classes, float[] deltas, float[] classBase, float[] bias, float temperature,
        WeightPrecision precision = WeightPrecision.Float32)
        : base(bias, temperature)
    {
        ArgumentNullException.ThrowIfNull(rowStart);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(deltas);
        ArgumentNullException.ThrowIfNull(classBase);
        if (rowStart.Length == 0 || rowStart[0] != 0 || rowStart[^1] != classes.Length || classes.Length != deltas.Length || classBase.Length != bias.Length)
        {
            throw new ArgumentException("Inconsistent sparse weights.");
        }

        for (var r = 1; r < rowStart.Length; r++)
        {
            if (rowStart[r] < rowStart[r - 1])
            {
                throw new ArgumentException("Row starts must not decrease.", nameof(rowStart));
            }
        }

        foreach (var c in classes)
        {
            if (c >= bias.Length)
            {
                throw new ArgumentException("Class index out of range.", nameof(classes));
            }
        }

        RowStart = rowStart;
        Classes = classes;
        Deltas = deltas;
        ClassBase = classBase;
        Precision = precision;
        _paddedBase = RowKernel.Pad(classBase, classBase.Length);
        (_rowInfo, _entries, _denseRows) = BuildLayout();
    }

    // Scoring layout, derived from the stored arrays. One 8-byte RowInfo per row says where its data is:
    // Count ≥ 0: that many (class, delta) entries at Offset, interleaved so a row is one cache line;
    // Count < 0: a busy row (a short n-gram shared by many classes), expanded to a full padded row at
    // slot -1 - Count and scored with the SIMD kernel, cheaper than scattering dozens of entries.
    private readonly RowInfo[] _rowInfo;
    private readonly Entry[] _entries;
    private readonly float[] _denseRows;
    private readonly float[] _paddedBase;

    public override WeightPrecision Precision { get; }

    public int[] RowStart { get; }

    public ushort[] Classes { get; }

    public float[] Deltas { get; }

    public float[] ClassBase { get; }

    public override int RowCount => RowStart.Length - 1;

    public override void Score(ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> scores)
    {
        var classCount = Bias.Length;
        var stride = RowKernel.Stride(classCount);
        var scratch = RowKernel.GetScratch(stride, rows.Length);
        var accumulator = scratch.Accumulator.AsSpan(0, stride);
        accumulator.Clear();
        Bias.CopyTo(accumulator);
        ref var acc = ref MemoryMarshal.GetReference(accumulator);
        var rowInfo = _rowInfo;
        ref var entries = ref MemoryMarshal.GetArrayDataReference(_entries);
        var denseRows = scratch.Rows;
        var denseValues = scratch.Values;
        var dense = 0;
        var sparseTotal = 0f;
        for (var i = 0; i < rows.Length; i++)
        {
            var info = rowInfo[rows[i]];
            var value = values[i];
            if (info.Count < 0)
            {
                denseRows[dense] = -1 - info.Count;
                denseValues[dense++] = value;
                continue;
            }

            sparseTotal += value;
            ref var entry = ref Unsafe.Add(ref entries, info.Offset);
            for (var k = 0; k < info.Count; k++)
            {
                // Offsets, counts and class indices were range-checked when the layout was built.
                var e = Unsafe.Add(ref entry, k);
                Unsafe.Add(ref acc, e.Class) += value * e.Delta;
            }
        }

        RowKernel.AddRows(_denseRows, stride, denseRows.AsSpan(0, dense), denseValues.AsSpan(0, dense), accumulator);
        VectorMath.MultiplyAdd(_paddedBase, sparseTotal, accumulator);
        accumulator[..classCount].CopyTo(scores);
    }

    private (RowInfo[] Info, Entry[] Entries, float[] DenseRows) BuildLayout()
    {
        var classCount = Bias.Length;
        var threshold = Math.Max(4, classCount / 8);
        var info = new RowInfo[RowCount];
        var busy = 0;
        var sparseEntries = 0;
        for (var r = 0; r < info.Length; r++)
        {
            var count = RowStart[r + 1] - RowStart[r];
            if (count >= threshold)
            {
                info[r] = new RowInfo(0, -1 - busy++);
            }
            else
            {
                info[r] = new RowInfo(sparseEntries, count);
                sparseEntries += count;
            }
        }

        var stride = RowKernel.Stride(classCount);
        var dense = new float[(long)busy * stride];
        var entries = new Entry[sparseEntries];
        for (var r = 0; r < info.Length; r++)
        {
            if (info[r].Count < 0)
            {
                var target = dense.AsSpan((-1 - info[r].Count) * stride, classCount);
                ClassBase.CopyTo(target);
                for (var k = RowStart[r]; k < RowStart[r + 1]; k++)
                {
                    target[Classes[k]] += Deltas[k];
                }
            }
            else
            {
                for (var k = 0; k < info[r].Count; k++)
                {
                    entries[info[r].Offset + k] = new Entry(Classes[RowStart[r] + k], Deltas[RowStart[r] + k]);
                }
            }
        }

        return (info, entries, dense);
    }

    private readonly record struct RowInfo(int Offset, int Count);

    private readonly record struct Entry(int Class, float Delta);

    /// <summary>8-bit storage is not offered for sparse weights (they are few); it falls back to 16-bit.</summary>
    public override LinearModel WithPrecision(WeightPrecision precision)
    {
        if (precision == WeightPrecision.Float32)
        {
            return new SparseLinearModel(RowStart, Classes, Deltas, ClassBase, Bias, Temperature, precision);
        }

        var deltas = (float[])Deltas.Clone();
        Round(deltas);
        return new SparseLinearModel(RowStart, Classes, deltas, ClassBase, Bias, Temperature, WeightPrecision.Float16);
    }

    public override void WriteTo(ModelFileWriter writer)
    {
        writer.Add<int>("row_start", RowStart);
        writer.Add<ushort>("row_classes", Classes);
        WriteFloats(writer, "row_deltas", Deltas, Precision);
        writer.Add<float>("class_base", ClassBase);
        WriteCommon(writer);
    }

    public static SparseLinearModel Read(ModelFile file, int rows, float[] bias, float temperature)
    {
        var rowStart = file.ToArray<int>("row_start");
        if (rowStart.Length != rows + 1)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has {rowStart.Length - 1} weight rows, expected {rows}.");
        }

        try
        {
            return new SparseLinearModel(rowStart, file.ToArray<ushort>("row_classes"), ReadFloats(file, "row_deltas"), file.ToArray<float>("class_base"),
                bias, temperature, PrecisionOf(file, "row_deltas"));
        }
        catch (ArgumentException ex)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has inconsistent sparse weights ({ex.Message}).", ex);
        }
    }
}

/// <summary>Dense weights stored as 8-bit integers with one scale per row (symmetric, absolute maximum).</summary>
/// <remarks>A quarter of the memory of float weights: a 77-class intent model's weights fit in the L2
/// cache, which makes scoring faster, and the file four times smaller. The per-row error is at most
/// half a step (max |w| / 254), well below what changes a softmax decision in practice; the benchmark
/// and the model card report accuracy of the quantised model itself.</remarks>
internal sealed class QuantizedLinearModel : LinearModel
{
    private readonly int _stride;
    private readonly sbyte[] _padded;

    public QuantizedLinearModel(sbyte[] weights, float[] scales, float[] bias, float temperature)
        : base(bias, temperature)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(scales);
        if (weights.Length != (long)scales.Length * bias.Length)
        {
            throw new ArgumentException("Weights must hold one row per scale.", nameof(weights));
        }

        Weights = weights;
        Scales = scales;
        _stride = RowKernel.Stride(bias.Length);
        _padded = RowKernel.Pad(weights, bias.Length);
    }

    public sbyte[] Weights { get; }

    public float[] Scales { get; }

    public override int RowCount => Scales.Length;

    public override WeightPrecision Precision => WeightPrecision.Int8;

    public static QuantizedLinearModel Quantize(DenseLinearModel model)
    {
        var classes = model.ClassCount;
        var rows = model.RowCount;
        var quantized = new sbyte[model.Weights.Length];
        var scales = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = model.Weights.AsSpan(r * classes, classes);
            var max = TensorPrimitives.MaxMagnitude<float>(row);
            var scale = max > 0f ? MathF.Abs(max) / 127f : 0f;
            scales[r] = scale;
            for (var c = 0; c < classes; c++)
            {
                quantized[(r * classes) + c] = scale > 0f ? (sbyte)Math.Clamp(MathF.Round(row[c] / scale), -127f, 127f) : (sbyte)0;
            }
        }

        return new QuantizedLinearModel(quantized, scales, model.Bias, model.Temperature);
    }

    public override void Score(ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> scores)
    {
        var classes = Bias.Length;
        var accumulator = RowKernel.GetScratch(_stride, 0).Accumulator.AsSpan(0, _stride);
        accumulator.Clear();
        Bias.CopyTo(accumulator);
        RowKernel.AddRowsQ8(_padded, Scales, _stride, rows, values, accumulator);
        accumulator[..classes].CopyTo(scores);
    }

    public override LinearModel WithPrecision(WeightPrecision precision) =>
        precision == WeightPrecision.Int8 ? this : throw new InvalidOperationException("8-bit weights cannot be widened again.");

    public override void WriteTo(ModelFileWriter writer)
    {
        writer.Add<sbyte>("weights_q8", Weights, RowCount, ClassCount);
        writer.Add<float>("weight_scales", Scales);
        WriteCommon(writer);
    }

    public static QuantizedLinearModel Read(ModelFile file, int rows, float[] bias, float temperature)
    {
        var weights = file.ToArray<sbyte>("weights_q8");
        var scales = file.ToArray<float>("weight_scales");
        return scales.Length == rows && weights.Length == (long)rows * bias.Length && scales.All(float.IsFinite)
            ? new QuantizedLinearModel(weights, scales, bias, temperature)
            : throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has 8-bit weights that do not match {rows} rows × {bias.Length} classes.");
    }
}
