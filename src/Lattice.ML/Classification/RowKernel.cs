using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lattice.ML.Classification;

/// <summary>The scoring kernel of wide linear models: acc += Σ values[i] · matrix[row i], with rows padded
/// to a multiple of 16 floats so every load is a full vector and the accumulators stay in registers.</summary>
/// <remarks>
/// Scoring one text against 75–77 classes touches a few hundred rows; a generic multiply-add per row
/// re-loads and re-stores the 77 scores each time. Here the columns are walked in blocks of four
/// vectors held in registers while all rows stream past, so each row costs one fused multiply-add
/// per vector.
/// </remarks>
internal static class RowKernel
{
    [ThreadStatic]
    private static Scratch? _scratch;

    /// <summary>Row length after padding (a multiple of 16 so float and byte rows are whole vectors);
    /// narrow models are not padded (they use scalar code).</summary>
    public static int Stride(int classes) => classes <= 8 ? classes : (classes + 15) & ~15;

    public static Scratch GetScratch(int stride, int rows)
    {
        var scratch = _scratch ??= new Scratch();
        if (scratch.Accumulator.Length < stride)
        {
            scratch.Accumulator = new float[stride];
        }

        if (scratch.Rows.Length < rows)
        {
            var size = Math.Max(rows, scratch.Rows.Length * 2);
            scratch.Rows = new int[size];
            scratch.Values = new float[size];
        }

        return scratch;
    }

    /// <summary>Copies a row-major [rows × classes] matrix into rows of <see cref="Stride"/> floats.</summary>
    public static float[] Pad(ReadOnlySpan<float> matrix, int classes)
    {
        var stride = Stride(classes);
        var rows = matrix.Length / classes;
        var padded = new float[(long)rows * stride];
        for (var r = 0; r < rows; r++)
        {
            matrix.Slice(r * classes, classes).CopyTo(padded.AsSpan(r * stride, classes));
        }

        return padded;
    }

    /// <summary>accumulator[0..stride) += Σ values[i] · matrix[rows[i] · stride ..].</summary>
    public static void AddRows(float[] matrix, int stride, ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> accumulator)
    {
        if ((long)rows.Length > values.Length || accumulator.Length < stride)
        {
            throw new ArgumentException("Rows, values and accumulator do not agree.");
        }

        foreach (var row in rows)
        {
            if ((uint)row >= (uint)(matrix.Length / Math.Max(1, stride)))
            {
                throw new ArgumentOutOfRangeException(nameof(rows));
            }
        }

        ref var m = ref MemoryMarshal.GetArrayDataReference(matrix);
        ref var a = ref MemoryMarshal.GetReference(accumulator);
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var r = ref MemoryMarshal.GetReference(rows);
        var count = rows.Length;
        var column = 0;
        if (Vector512.IsHardwareAccelerated && stride % 16 == 0)
        {
            for (; column + 64 <= stride; column += 64)
            {
                var a0 = Vector512.LoadUnsafe(ref a, (nuint)column);
                var a1 = Vector512.LoadUnsafe(ref a, (nuint)column + 16);
                var a2 = Vector512.LoadUnsafe(ref a, (nuint)column + 32);
                var a3 = Vector512.LoadUnsafe(ref a, (nuint)column + 48);
                for (var i = 0; i < count; i++)
                {
                    ref var row = ref Unsafe.Add(ref m, ((nint)Unsafe.Add(ref r, i) * stride) + column);
                    var scale = Vector512.Create(Unsafe.Add(ref v, i));
                    a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row), scale, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, 16), scale, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, 32), scale, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, 48), scale, a3);
                }

                a0.StoreUnsafe(ref a, (nuint)column);
                a1.StoreUnsafe(ref a, (nuint)column + 16);
                a2.StoreUnsafe(ref a, (nuint)column + 32);
                a3.StoreUnsafe(ref a, (nuint)column + 48);
            }

            for (; column < stride; column += 16)
            {
                var a0 = Vector512.LoadUnsafe(ref a, (nuint)column);
                for (var i = 0; i < count; i++)
                {
                    ref var row = ref Unsafe.Add(ref m, ((nint)Unsafe.Add(ref r, i) * stride) + column);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row), Vector512.Create(Unsafe.Add(ref v, i)), a0);
                }

                a0.StoreUnsafe(ref a, (nuint)column);
            }

            return;
        }

        if (Vector256.IsHardwareAccelerated && stride % 8 == 0)
        {
            for (; column + 32 <= stride; column += 32)
            {
                var a0 = Vector256.LoadUnsafe(ref a, (nuint)column);
                var a1 = Vector256.LoadUnsafe(ref a, (nuint)column + 8);
                var a2 = Vector256.LoadUnsafe(ref a, (nuint)column + 16);
                var a3 = Vector256.LoadUnsafe(ref a, (nuint)column + 24);
                for (var i = 0; i < count; i++)
                {
                    ref var row = ref Unsafe.Add(ref m, ((nint)Unsafe.Add(ref r, i) * stride) + column);
                    var scale = Vector256.Create(Unsafe.Add(ref v, i));
                    a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row), scale, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 8), scale, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 16), scale, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 24), scale, a3);
                }

                a0.StoreUnsafe(ref a, (nuint)column);
                a1.StoreUnsafe(ref a, (nuint)column + 8);
                a2.StoreUnsafe(ref a, (nuint)column + 16);
                a3.StoreUnsafe(ref a, (nuint)column + 24);
            }

            for (; column < stride; column += 8)
            {
                var a0 = Vector256.LoadUnsafe(ref a, (nuint)column);
                for (var i = 0; i < count; i++)
                {
                    ref var row = ref Unsafe.Add(ref m, ((nint)Unsafe.Add(ref r, i) * stride) + column);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row), Vector256.Create(Unsafe.Add(ref v, i)), a0);
                }

                a0.StoreUnsafe(ref a, (nuint)column);
            }

            return;
        }

        for (var i = 0; i < count; i++)
        {
            var offset = (nint)Unsafe.Add(ref r, i) * stride;
            var scale = Unsafe.Add(ref v, i);
            for (var c = 0; c < stride; c++)
            {
                Unsafe.Add(ref a, c) += scale * Unsafe.Add(ref m, offset + c);
            }
        }
    }

    /// <summary>Copies a row-major [rows × classes] byte matrix into rows of <see cref="Stride"/> bytes.</summary>
    public static sbyte[] Pad(ReadOnlySpan<sbyte> matrix, int classes)
    {
        var stride = Stride(classes);
        var rows = matrix.Length / classes;
        var padded = new sbyte[(long)rows * stride];
        for (var r = 0; r < rows; r++)
        {
            matrix.Slice(r * classes, classes).CopyTo(padded.AsSpan(r * stride, classes));
        }

        return padded;
    }

    /// <summary>accumulator[0..stride) += Σ values[i] · scales[rows[i]] · matrix[rows[i] · stride ..] for 8-bit rows.</summary>
    /// <remarks>A quarter of the bytes of float rows: a 77-class model's weights fit in the L2 cache.</remarks>
    public static void AddRowsQ8(sbyte[] matrix, float[] scales, int stride, ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> accumulator)
    {
        if ((long)rows.Length > values.Length || accumulator.Length < stride)
        {
            throw new ArgumentException("Rows, values and accumulator do not agree.");
        }

        foreach (var row in rows)
        {
            if ((uint)row >= (uint)scales.Length || ((long)row + 1) * stride > matrix.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(rows));
            }
        }

        ref var m = ref MemoryMarshal.GetArrayDataReference(matrix);
        ref var a = ref MemoryMarshal.GetReference(accumulator);
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var r = ref MemoryMarshal.GetReference(rows);
        ref var s = ref MemoryMarshal.GetArrayDataReference(scales);
        var count = rows.Length;
        if (Avx512F.IsSupported && stride % 16 == 0)
        {
            var column = 0;
            for (; column + 64 <= stride; column += 64)
            {
                var a0 = Vector512.LoadUnsafe(ref a, (nuint)column);
                var a1 = Vector512.LoadUnsafe(ref a, (nuint)column + 16);
                var a2 = Vector512.LoadUnsafe(ref a, (nuint)column + 32);
                var a3 = Vector512.LoadUnsafe(ref a, (nuint)column + 48);
                for (var i = 0; i < count; i++)
                {
                    var index = Unsafe.Add(ref r, i);
                    ref var row = ref Unsafe.Add(ref m, ((nint)index * stride) + column);
                    var scale = Vector512.Create(Unsafe.Add(ref v, i) * Unsafe.Add(ref s, index));
                    a0 = Vector512.FusedMultiplyAdd(Widen(ref row, 0), scale, a0);
                    a1 = Vector512.FusedMultiplyAdd(Widen(ref row, 16), scale, a1);
                    a2 = Vector512.FusedMultiplyAdd(Widen(ref row, 32), scale, a2);
                    a3 = Vector512.FusedMultiplyAdd(Widen(ref row, 48), scale, a3);
                }

                a0.StoreUnsafe(ref a, (nuint)column);
                a1.StoreUnsafe(ref a, (nuint)column + 16);
                a2.StoreUnsafe(ref a, (nuint)column + 32);
                a3.StoreUnsafe(ref a, (nuint)column + 48);
            }

            for (; column < stride; column += 16)
            {
                var a0 = Vector512.LoadUnsafe(ref a, (nuint)column);
                for (var i = 0; i < count; i++)
                {
                    var index = Unsafe.Add(ref r, i);
                    ref var row = ref Unsafe.Add(ref m, ((nint)index * stride) + column);
                    a0 = Vector512.FusedMultiplyAdd(Widen(ref row, 0), Vector512.Create(Unsafe.Add(ref v, i) * Unsafe.Add(ref s, index)), a0);
                }

                a0.StoreUnsafe(ref a, (nuint)column);
            }

            return;
        }

        for (var i = 0; i < count; i++)
        {
            var index = Unsafe.Add(ref r, i);
            var offset = (nint)index * stride;
            var scale = Unsafe.Add(ref v, i) * Unsafe.Add(ref s, index);
            for (var c = 0; c < stride; c++)
            {
                Unsafe.Add(ref a, c) += scale * Unsafe.Add(ref m, offset + c);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(ref sbyte row, nuint offset) =>
        Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref row, offset)));

    /// <summary>Per-thread buffers for one scoring call.</summary>
    internal sealed class Scratch
    {
        public float[] Accumulator = new float[128];
        public int[] Rows = new int[512];
        public float[] Values = new float[512];
    }
}
