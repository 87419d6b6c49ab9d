using System.Numerics.Tensors;
using Lattice.ML.Tabular;

namespace Lattice.ML.Recommendation;

/// <summary>Trained factor model: r̂(u,i) = μ + b_u + b_i + q_i·z_u, where z_u already folds in SVD++'s implicit feedback.</summary>
internal sealed record FactorParameters(int Factors, float GlobalMean, float[] UserBias, float[] ItemBias, float[] UserFactors, float[] ItemFactors)
{
    public float Predict(int user, int item) =>
        GlobalMean + UserBias[user] + ItemBias[item]
        + TensorPrimitives.Dot(UserFactors.AsSpan(user * Factors, Factors), ItemFactors.AsSpan(item * Factors, Factors));
}

/// <summary>
/// Biased matrix factorisation by SGD (Surprise's SVD) and, with implicit feedback, SVD++ (Koren 2008).
/// Ratings are visited user by user (as Surprise does) so that SVD++'s update of every y_j of the user's
/// rated items can be deferred to the end of the user: the updates are the same affine recurrence for all
/// j, so the result is exactly Surprise's per-rating update at O(f) instead of O(|N(u)|·f) per rating.
/// </summary>
internal static class MatrixFactorization
{
    public static FactorParameters Train(RatingMatrix data, RecommenderOptions options)
    {
        var f = options.Factors;
        var random = new Random(options.Seed);
        var p = Gaussian(random, data.UserCount * f, options.InitStdDev);
        var q = Gaussian(random, data.ItemCount * f, options.InitStdDev);
        var y = options.ImplicitFeedback ? Gaussian(random, data.ItemCount * f, options.InitStdDev) : [];
        var bu = new float[data.UserCount];
        var bi = new float[data.ItemCount];
        var mu = (float)data.GlobalMean;
        var z = new float[f];
        var a = new float[f];
        var userOrder = Enumerable.Range(0, data.UserCount).ToArray();
        var ratingOrder = new int[data.Count];
        var lr = options.LearningRate;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(userOrder);
            var lrBias = lr * options.BiasLearningRateFactor;
            var regBias = options.BiasRegularization;
            var reg = options.Regularization;
            var decay = 1f - (lr * options.ImplicitRegularization);
            foreach (var u in userOrder)
            {
                var start = data.UserOffsets[u];
                var count = data.UserOffsets[u + 1] - start;
                if (count == 0)
                {
                    continue;
                }

                var order = ratingOrder.AsSpan(0, count);
                for (var n = 0; n < count; n++)
                {
                    order[n] = start + n;
                }

                random.Shuffle(order);
                var pu = p.AsSpan(u * f, f);
                var scale = 1f / MathF.Sqrt(count);
                if (options.ImplicitFeedback)
                {
                    z.AsSpan().Clear();
                    for (var n = start; n < start + count; n++)
                    {
                        TensorPrimitives.Add(z, y.AsSpan(data.UserItems[n] * f, f), z);
                    }

                    TensorPrimitives.Multiply(z, scale, z);
                    a.AsSpan().Clear();
                }

                var cumulativeDecay = 1f;
                foreach (var n in order)
                {
                    var i = data.UserItems[n];
                    var qi = q.AsSpan(i * f, f);
                    var dot = TensorPrimitives.Dot(pu, qi);
                    if (options.ImplicitFeedback)
                    {
                        dot += TensorPrimitives.Dot(z, qi);
                    }

                    var err = data.UserValues[n] - (mu + bu[u] + bi[i] + dot);
                    bu[u] += lrBias * (err - (regBias * bu[u]));
                    bi[i] += lrBias * (err - (regBias * bi[i]));
                    var lrErr = lr * err;
                    for (var k = 0; k < f; k++)
                    {
                        var puk = pu[k];
                        var qik = qi[k];
                        pu[k] += (lrErr * qik) - (lr * reg * puk);
                        if (options.ImplicitFeedback)
                        {
                            qi[k] += (lrErr * (puk + z[k])) - (lr * reg * qik);
                            z[k] = (z[k] * decay) + (lrErr * qik);
                            a[k] = (a[k] * decay) + (lrErr * qik * scale);
                        }
                        else
                        {
                            qi[k] += (lrErr * puk) - (lr * reg * qik);
                        }
                    }

                    cumulativeDecay *= decay;
                }

                if (options.ImplicitFeedback)
                {
                    for (var n = start; n < start + count; n++)
                    {
                        var yj = y.AsSpan(data.UserItems[n] * f, f);
                        TensorPrimitives.MultiplyAdd(yj, cumulativeDecay, a, yj);
                    }
                }
            }

            lr *= options.LearningRateDecay;
        }

        if (options.ImplicitFeedback)
        {
            FoldImplicitFeedback(data, p, y, f);
        }

        return new FactorParameters(f, mu, bu, bi, p, q);
    }

    /// <summary>Serving only needs z_u = p_u + |N(u)|^-½ Σ y_j, so it is computed once here.</summary>
    private static void FoldImplicitFeedback(RatingMatrix data, float[] p, float[] y, int f)
    {
        var sum = new float[f];
        for (var u = 0; u < data.UserCount; u++)
        {
            var count = data.UserRatingCount(u);
            if (count == 0)
            {
                continue;
            }

            sum.AsSpan().Clear();
            for (var n = data.UserOffsets[u]; n < data.UserOffsets[u + 1]; n++)
            {
                TensorPrimitives.Add(sum, y.AsSpan(data.UserItems[n] * f, f), sum);
            }

            var pu = p.AsSpan(u * f, f);
            TensorPrimitives.MultiplyAdd(sum, 1f / MathF.Sqrt(count), pu, pu);
        }
    }

    private static float[] Gaussian(Random random, int length, float stdDev)
    {
        var values = new float[length];
        for (var n = 0; n < length; n++)
        {
            values[n] = (float)(stdDev * random.NextGaussian());
        }

        return values;
    }
}
