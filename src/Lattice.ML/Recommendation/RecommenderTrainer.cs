namespace Lattice.ML.Recommendation;

/// <summary>Trains a <see cref="RecommenderModel"/> from explicit ratings.</summary>
public static class RecommenderTrainer
{
    /// <summary>Trains with <paramref name="options"/> (default: the tuned SVD++ / item k-NN blend).</summary>
    public static RecommenderModel Train(IEnumerable<Rating> ratings, RecommenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        options ??= new RecommenderOptions();
        options.Validate();
        var data = RatingMatrix.Create(ratings);
        float[] blend = [0f, 1f, 0f];
        if (options.Algorithm == RecommenderAlgorithm.Blend)
        {
            blend = FitBlend(data, options);
        }

        return Fit(data, options, blend);
    }

    internal static RecommenderModel Fit(RatingMatrix data, RecommenderOptions options, float[] blend)
    {
        var (bu, bi) = Baselines.FitAls(data);
        FactorParameters? factors = options.Algorithm is RecommenderAlgorithm.Svd or RecommenderAlgorithm.SvdPlusPlus or RecommenderAlgorithm.Blend
            ? MatrixFactorization.Train(data, options)
            : null;
        var knn = options.Algorithm is RecommenderAlgorithm.ItemKnnBaseline or RecommenderAlgorithm.Blend
            ? ItemKnn.Fit(data, bu, bi, options.Neighbors, options.Shrinkage)
            : null;
        var counts = new int[data.ItemCount];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = data.ItemRatingCount(i);
        }

        return new RecommenderModel(
            options.Algorithm, data.UserIds, data.ItemIds, (float)data.GlobalMean, data.MinRating, data.MaxRating,
            data.UserOffsets, data.UserItems, data.UserValues, bu, bi, factors, knn, blend, counts);
    }

    /// <summary>
    /// Trains both components on most of the data and fits r̂ = w0 + w1·svd++ + w2·knn by least squares on the
    /// held-out rest, so the weights reflect out-of-sample errors rather than the components' training fit.
    /// </summary>
    private static float[] FitBlend(RatingMatrix data, RecommenderOptions options)
    {
        var random = new Random(options.Seed ^ 0x5EED);
        var train = new List<Rating>(data.Count);
        var holdout = new List<(int Index, float Value)>();
        for (var n = 0; n < data.Count; n++)
        {
            var rating = new Rating(data.UserIds[data.Users[n]], data.ItemIds[data.Items[n]], data.Values[n]);
            if (random.NextDouble() < options.BlendHoldout)
            {
                holdout.Add((n, data.Values[n]));
            }
            else
            {
                train.Add(rating);
            }
        }

        var partial = Fit(RatingMatrix.Create(train), options, [0f, 1f, 0f]);
        var x = new double[holdout.Count, 3];
        var y = new double[holdout.Count];
        var rows = 0;
        foreach (var (n, value) in holdout)
        {
            var user = data.UserIds[data.Users[n]];
            var item = data.ItemIds[data.Items[n]];
            if (!partial.TryIndex(user, item, out var u, out var i))
            {
                continue;
            }

            x[rows, 0] = 1;
            x[rows, 1] = partial.Predict(u, i);
            x[rows, 2] = partial.KnnOnly(u, i);
            y[rows] = value;
            rows++;
        }

        return rows < 10 ? [0f, 1f, 0f] : LeastSquares3(x, y, rows);
    }

    private static float[] LeastSquares3(double[,] x, double[] y, int rows)
    {
        // Normal equations with a tiny ridge; 3 × 3 is solved by Gaussian elimination.
        var a = new double[3, 4];
        for (var n = 0; n < rows; n++)
        {
            for (var r = 0; r < 3; r++)
            {
                for (var c = 0; c < 3; c++)
                {
                    a[r, c] += x[n, r] * x[n, c];
                }

                a[r, 3] += x[n, r] * y[n];
            }
        }

        for (var r = 0; r < 3; r++)
        {
            a[r, r] += 1e-6 * rows;
        }

        for (var p = 0; p < 3; p++)
        {
            var pivot = p;
            for (var r = p + 1; r < 3; r++)
            {
                if (Math.Abs(a[r, p]) > Math.Abs(a[pivot, p]))
                {
                    pivot = r;
                }
            }

            for (var c = 0; c < 4; c++)
            {
                (a[p, c], a[pivot, c]) = (a[pivot, c], a[p, c]);
            }

            for (var r = 0; r < 3; r++)
            {
                if (r == p)
                {
                    continue;
                }

                var factor = a[r, p] / a[p, p];
                for (var c = p; c < 4; c++)
                {
                    a[r, c] -= factor * a[p, c];
                }
            }
        }

        return [(float)(a[0, 3] / a[0, 0]), (float)(a[1, 3] / a[1, 1]), (float)(a[2, 3] / a[2, 2])];
    }
}
