using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lattice.ML.Classification;

/// <summary>Small vector kernels: TensorPrimitives (SIMD) for long spans, plain loops for short ones.</summary>
/// <remarks>
/// Binary models score two classes and short texts have a few dozen features; for those the vector
/// kernels' call and remainder overhead, and their JIT cost in a short-lived process (generic
/// instantiations are not precompiled), outweigh any SIMD gain. Above <see cref="SimdThreshold"/>
/// elements TensorPrimitives wins.
/// </remarks>
internal static class VectorMath
{
    public const int SimdThreshold = 16;

    /// <summary>accumulator += scale · x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(ReadOnlySpan<float> x, float scale, Span<float> accumulator)
    {
        if (x.Length >= SimdThreshold)
        {
            TensorPrimitives.MultiplyAdd(x, scale, accumulator, accumulator);
            return;
        }

        accumulator = accumulator[..x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            accumulator[i] += scale * x[i];
        }
    }

    public static int IndexOfMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best] || (float.IsNaN(values[i]) && !float.IsNaN(values[best])))
            {
                best = i;
            }
        }

        return best;
    }

    // Feature-vector helpers stay scalar: vectors are short, and in a short-lived process the JIT cost of
    // the generic SIMD kernels exceeds what they save.
    public static float SumOfMagnitudes(ReadOnlySpan<float> values)
    {
        var sum = 0f;
        foreach (var v in values)
        {
            sum += MathF.Abs(v);
        }

        return sum;
    }

    public static float Norm(ReadOnlySpan<float> values)
    {
        var sum = 0f;
        foreach (var v in values)
        {
            sum += v * v;
        }

        return MathF.Sqrt(sum);
    }

    public static void Scale(Span<float> values, float factor)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= factor;
        }
    }

    /// <summary>Numerically stable softmax of scores / T into probabilities (may be the same span).
    /// TensorPrimitives.SoftMax does not subtract the maximum, and naive-Bayes log-likelihoods of long
    /// texts underflow without it.</summary>
    public static void Softmax(ReadOnlySpan<float> scores, float inverseTemperature, Span<float> probabilities)
    {
        probabilities = probabilities[..scores.Length];
        if (scores.Length >= SimdThreshold)
        {
            var max = TensorPrimitives.Max(scores);
            TensorPrimitives.Subtract(scores, max, probabilities);
            TensorPrimitives.Multiply(probabilities, inverseTemperature, probabilities);
            TensorPrimitives.Exp(probabilities, probabilities);
            TensorPrimitives.Divide(probabilities, TensorPrimitives.Sum<float>(probabilities), probabilities);
            return;
        }

        var top = float.NegativeInfinity;
        foreach (var s in scores)
        {
            top = MathF.Max(top, s);
        }

        var total = 0f;
        for (var i = 0; i < scores.Length; i++)
        {
            probabilities[i] = MathF.Exp((scores[i] - top) * inverseTemperature);
            total += probabilities[i];
        }

        var inverse = 1f / total;
        for (var i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] *= inverse;
        }
    }
}
