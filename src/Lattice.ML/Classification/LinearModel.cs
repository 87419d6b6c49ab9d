using System.Numerics.Tensors;
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

    /// <summary>Rounds the weights to what a half-precision file holds, so memory and file agree.</summary>
    public abstract void RoundToHalf();

    /// <summary>Adds the weight sections to a model file.</summary>
    public abstract void WriteTo(ModelFileWriter writer, bool halfPrecision);

    /// <summary>Reads whichever storage the file holds.</summary>
    public static LinearModel ReadFrom(ModelFile file, int rows, int classes)
    {
        var bias = file.ToArray<float>("bias");
        var temperature = file.GetSpan<float>("temperature");
        if (bias.Length != classes || temperature.Length != 1 || !(temperature[0] > 0f) || !float.IsFinite(temperature[0]))
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has an invalid bias or temperature.");
        }

        return file.Contains("weights")
            ? DenseLinearModel.Read(file, rows, bias, temperature[0])
            : SparseLinearModel.Read(file, rows, bias, temperature[0]);
    }

    /// <summary>Turns scores into calibrated probabilities (in place is allowed).</summary>
    public void ToProbabilities(ReadOnlySpan<float> scores, Span<float> probabilities) =>
        Softmax(scores[..ClassCount], 1f / Temperature, probabilities[..ClassCount]);

    /// <summary>Numerically stable softmax of scores / T (TensorPrimitives.SoftMax does not subtract the maximum,
    /// and naive-Bayes log-likelihoods of long texts underflow without it).</summary>
    public static void Softmax(ReadOnlySpan<float> scores, float inverseTemperature, Span<float> probabilities)
    {
        var max = TensorPrimitives.Max(scores);
        TensorPrimitives.Subtract(scores, max, probabilities);
        TensorPrimitives.Multiply(probabilities, inverseTemperature, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        TensorPrimitives.Divide(probabilities, TensorPrimitives.Sum<float>(probabilities), probabilities);
    }

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

    protected static void WriteFloats(ModelFileWriter writer, string name, float[] values, bool halfPrecision, params ReadOnlySpan<long> shape)
    {
        if (halfPrecision)
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
    public DenseLinearModel(float[] weights, float[] bias, float temperature)
        : base(bias, temperature)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length % bias.Length != 0)
        {
            throw new ArgumentException("Weights must hold a whole number of rows.", nameof(weights));
        }

        Weights = weights;
    }

    public float[] Weights { get; }

    public override int RowCount => Weights.Length / Bias.Length;

    public override void Score(ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> scores)
    {
        var classes = Bias.Length;
        Bias.CopyTo(scores);
        scores = scores[..classes];
        var weights = Weights.AsSpan();
        if (classes <= 4)
        {
            // Small outputs (binary tasks): a plain loop beats the call overhead of the vector kernels.
            for (var i = 0; i < rows.Length; i++)
            {
                var row = weights.Slice(rows[i] * classes, classes);
                var value = values[i];
                for (var c = 0; c < row.Length; c++)
                {
                    scores[c] += value * row[c];
                }
            }

            return;
        }

        for (var i = 0; i < rows.Length; i++)
        {
            TensorPrimitives.MultiplyAdd(weights.Slice(rows[i] * classes, classes), values[i], scores, scores);
        }
    }

    public override void RoundToHalf() => Round(Weights);

    public override void WriteTo(ModelFileWriter writer, bool halfPrecision)
    {
        WriteFloats(writer, "weights", Weights, halfPrecision, RowCount, ClassCount);
        WriteCommon(writer);
    }

    public static DenseLinearModel Read(ModelFile file, int rows, float[] bias, float temperature)
    {
        var weights = ReadFloats(file, "weights");
        return weights.Length == (long)rows * bias.Length
            ? new DenseLinearModel(weights, bias, temperature)
            : throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has {weights.Length} weights, expected {rows} × {bias.Length}.");
    }
}

/// <summary>W[row, c] = ClassBase[c] + (the row's exception for c, or 0): a per-class default plus sparse per-row deltas.</summary>
/// <remarks>Naive Bayes gives every unseen (feature, class) pair the same smoothed log-probability, so
/// only pairs seen in training differ from the class default; storing just those makes a 75-language
/// model ~10× smaller and faster to score than a dense matrix.</remarks>
internal sealed class SparseLinearModel : LinearModel
{
    public SparseLinearModel(int[] rowStart, ushort[] classes, float[] deltas, float[] classBase, float[] bias, float temperature)
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
        (_denseSlot, _denseRows) = ExpandBusyRows();
    }

    // Rows with many exceptions (short n-grams shared by many languages) are expanded to full rows and
    // scored with SIMD; scattering 30 exceptions one by one costs more than 5 vector multiply-adds.
    private readonly int[] _denseSlot;
    private readonly float[] _denseRows;

    public int[] RowStart { get; }

    public ushort[] Classes { get; }

    public float[] Deltas { get; }

    public float[] ClassBase { get; }

    public override int RowCount => RowStart.Length - 1;

    public override void Score(ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> scores)
    {
        var classCount = Bias.Length;
        scores = scores[..classCount];
        Bias.CopyTo(scores);
        var rowStart = RowStart;
        var classes = Classes;
        var deltas = Deltas;
        var denseSlot = _denseSlot;
        var denseRows = _denseRows.AsSpan();
        var sparseTotal = 0f;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var value = values[i];
            var slot = denseSlot[row];
            if (slot >= 0)
            {
                TensorPrimitives.MultiplyAdd(denseRows.Slice(slot * classCount, classCount), value, scores, scores);
                continue;
            }

            sparseTotal += value;
            var end = rowStart[row + 1];
            for (var k = rowStart[row]; k < end; k++)
            {
                scores[classes[k]] += value * deltas[k];
            }
        }

        TensorPrimitives.MultiplyAdd(ClassBase, sparseTotal, scores, scores);
    }

    private (int[] Slots, float[] Rows) ExpandBusyRows()
    {
        var classCount = Bias.Length;
        var threshold = Math.Max(4, classCount / 8);
        var slots = new int[RowCount];
        var busy = 0;
        for (var r = 0; r < slots.Length; r++)
        {
            slots[r] = RowStart[r + 1] - RowStart[r] >= threshold ? busy++ : -1;
        }

        var dense = new float[busy * classCount];
        for (var r = 0; r < slots.Length; r++)
        {
            if (slots[r] >= 0)
            {
                var target = dense.AsSpan(slots[r] * classCount, classCount);
                ClassBase.CopyTo(target);
                for (var k = RowStart[r]; k < RowStart[r + 1]; k++)
                {
                    target[Classes[k]] += Deltas[k];
                }
            }
        }

        return (slots, dense);
    }

    public override void RoundToHalf()
    {
        Round(Deltas);
        var (slots, rows) = ExpandBusyRows();
        slots.CopyTo(_denseSlot, 0);
        rows.CopyTo(_denseRows, 0);
    }

    public override void WriteTo(ModelFileWriter writer, bool halfPrecision)
    {
        writer.Add<int>("row_start", RowStart);
        writer.Add<ushort>("row_classes", Classes);
        WriteFloats(writer, "row_deltas", Deltas, halfPrecision);
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
            return new SparseLinearModel(rowStart, file.ToArray<ushort>("row_classes"), ReadFloats(file, "row_deltas"), file.ToArray<float>("class_base"), bias, temperature);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' has inconsistent sparse weights ({ex.Message}).", ex);
        }
    }
}
