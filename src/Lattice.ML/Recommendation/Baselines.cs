namespace Lattice.ML.Recommendation;

/// <summary>User and item rating biases around the global mean, fitted by alternating least squares as Surprise's BaselineOnly does.</summary>
internal static class Baselines
{
    /// <summary>Surprise defaults: 10 epochs, user regularisation 15, item regularisation 10.</summary>
    public static (float[] UserBias, float[] ItemBias) FitAls(RatingMatrix data, int epochs = 10, double userRegularization = 15, double itemRegularization = 10)
    {
        var bu = new float[data.UserCount];
        var bi = new float[data.ItemCount];
        var mu = data.GlobalMean;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            for (var u = 0; u < data.UserCount; u++)
            {
                double dev = 0;
                for (var n = data.UserOffsets[u]; n < data.UserOffsets[u + 1]; n++)
                {
                    dev += data.UserValues[n] - mu - bi[data.UserItems[n]];
                }

                bu[u] = (float)(dev / (userRegularization + data.UserRatingCount(u)));
            }

            for (var i = 0; i < data.ItemCount; i++)
            {
                double dev = 0;
                for (var n = data.ItemOffsets[i]; n < data.ItemOffsets[i + 1]; n++)
                {
                    dev += data.ItemValues[n] - mu - bu[data.ItemUsers[n]];
                }

                bi[i] = (float)(dev / (itemRegularization + data.ItemRatingCount(i)));
            }
        }

        return (bu, bi);
    }
}
