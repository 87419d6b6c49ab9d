namespace Lattice.ML.Recommendation;

/// <summary>
/// Item-based k-NN with baselines (Surprise's KNNBaseline, item based, pearson_baseline similarity with
/// shrinkage): r̂(u,i) = b_ui + Σ_j sim(i,j)(r_uj − b_uj) / Σ_j sim(i,j) over the k most similar items j the
/// user rated (positive similarities only).
/// </summary>
internal sealed class ItemKnn
{
    private readonly int _itemCount;

    public ItemKnn(int itemCount, int neighbors, float[] similarity)
    {
        _itemCount = itemCount;
        Neighbors = neighbors;
        Similarity = similarity;
    }

    public int Neighbors { get; }

    /// <summary>Dense symmetric item × item similarity.</summary>
    public float[] Similarity { get; }

    public ReadOnlySpan<float> SimilarityRow(int item) => Similarity.AsSpan(item * _itemCount, _itemCount);

    /// <summary>Pearson correlation of baseline residuals over common users, shrunk by (n−1)/(n−1+shrinkage).</summary>
    public static ItemKnn Fit(RatingMatrix data, float[] userBias, float[] itemBias, int neighbors, double shrinkage)
    {
        var n = data.ItemCount;
        var freq = new int[n * n];
        var prods = new double[n * n];
        var sqA = new double[n * n];
        var sqB = new double[n * n];
        var residual = new double[data.Count];
        var mu = data.GlobalMean;
        for (var u = 0; u < data.UserCount; u++)
        {
            var start = data.UserOffsets[u];
            var end = data.UserOffsets[u + 1];
            for (var x = start; x < end; x++)
            {
                residual[x] = data.UserValues[x] - mu - userBias[u] - itemBias[data.UserItems[x]];
            }

            // Items are sorted within a user, so a < b and only the upper triangle is filled.
            for (var x = start; x < end; x++)
            {
                var row = data.UserItems[x] * n;
                var rx = residual[x];
                for (var y = x + 1; y < end; y++)
                {
                    var cell = row + data.UserItems[y];
                    var ry = residual[y];
                    freq[cell]++;
                    prods[cell] += rx * ry;
                    sqA[cell] += rx * rx;
                    sqB[cell] += ry * ry;
                }
            }
        }

        var similarity = new float[n * n];
        for (var a = 0; a < n; a++)
        {
            similarity[(a * n) + a] = 1f;
            for (var b = a + 1; b < n; b++)
            {
                var cell = (a * n) + b;
                var denominator = Math.Sqrt(sqA[cell] * sqB[cell]);
                if (freq[cell] < 1 || denominator == 0)
                {
                    continue;
                }

                var value = (float)(prods[cell] / denominator * (freq[cell] - 1) / (freq[cell] - 1 + shrinkage));
                similarity[cell] = value;
                similarity[(b * n) + a] = value;
            }
        }

        return new ItemKnn(n, neighbors, similarity);
    }

    /// <summary>
    /// The neighbourhood correction for item <paramref name="item"/> given the user's rated items and their
    /// baseline residuals (r_uj − b_uj); 0 when no neighbour has a positive similarity.
    /// </summary>
    public float Correction(int item, ReadOnlySpan<int> ratedItems, ReadOnlySpan<float> residuals)
    {
        var row = SimilarityRow(item);
        var k = Neighbors;

        float sumSim = 0, sumRes = 0;
        if (ratedItems.Length <= k)
        {
            // Every rated item is a neighbour: no selection needed.
            for (var n = 0; n < ratedItems.Length; n++)
            {
                var s = row[ratedItems[n]];
                if (s > 0)
                {
                    sumSim += s;
                    sumRes += s * residuals[n];
                }
            }

            return sumSim > 0 ? sumRes / sumSim : 0;
        }

        // Keep the k largest similarities in a binary min-heap (root = weakest kept neighbour).
        Span<float> topSim = k <= 256 ? stackalloc float[k] : new float[k];
        Span<float> topRes = k <= 256 ? stackalloc float[k] : new float[k];
        for (var n = 0; n < k; n++)
        {
            topSim[n] = row[ratedItems[n]];
            topRes[n] = residuals[n];
        }

        for (var n = (k / 2) - 1; n >= 0; n--)
        {
            SiftDown(topSim, topRes, n);
        }

        for (var n = k; n < ratedItems.Length; n++)
        {
            var s = row[ratedItems[n]];
            if (s > topSim[0])
            {
                topSim[0] = s;
                topRes[0] = residuals[n];
                SiftDown(topSim, topRes, 0);
            }
        }

        for (var n = 0; n < k; n++)
        {
            if (topSim[n] > 0)
            {
                sumSim += topSim[n];
                sumRes += topSim[n] * topRes[n];
            }
        }

        return sumSim > 0 ? sumRes / sumSim : 0;
    }

    private static void SiftDown(Span<float> keys, Span<float> values, int slot)
    {
        while (true)
        {
            var left = (2 * slot) + 1;
            if (left >= keys.Length)
            {
                return;
            }

            var smallest = left + 1 < keys.Length && keys[left + 1] < keys[left] ? left + 1 : left;
            if (keys[slot] <= keys[smallest])
            {
                return;
            }

            (keys[slot], keys[smallest]) = (keys[smallest], keys[slot]);
            (values[slot], values[smallest]) = (values[smallest], values[slot]);
            slot = smallest;
        }
    }
}
