using Lattice.ML.Recommendation;
using Lattice.ML.Tabular;

namespace Lattice.ML.Tests.Recommendation;

public sealed class MatrixFactorizationTests
{
    [Fact]
    public void Train_SvdPlusPlus_DeferredImplicitUpdateMatchesPerRatingUpdate()
    {
        var data = RatingMatrix.Create(RecommenderDemoData.Generate(40, 30, seed: 9));
        var options = new RecommenderOptions
        {
            Algorithm = RecommenderAlgorithm.SvdPlusPlus, Factors = 4, Epochs = 3, LearningRate = 0.01f, LearningRateDecay = 0.9f,
            Regularization = 0.03f, BiasRegularization = 0.02f, ImplicitRegularization = 0.05f, Seed = 17,
        };

        var sut = MatrixFactorization.Train(data, options);
        var reference = NaiveSvdPlusPlus(data, options);

        for (var u = 0; u < data.UserCount; u++)
        {
            for (var i = 0; i < data.ItemCount; i++)
            {
                Assert.Equal(reference(u, i), sut.Predict(u, i), 3);
            }
        }
    }

    /// <summary>Surprise's SVD++ step, every y_j updated after every rating; same random draws and visiting order as the trainer.</summary>
    private static Func<int, int, float> NaiveSvdPlusPlus(RatingMatrix data, RecommenderOptions o)
    {
        var f = o.Factors;
        var random = new Random(o.Seed);
        float[] Init(int n) => Enumerable.Range(0, n).Select(_ => (float)(o.InitStdDev * random.NextGaussian())).ToArray();
        var p = Init(data.UserCount * f);
        var q = Init(data.ItemCount * f);
        var y = Init(data.ItemCount * f);
        var bu = new float[data.UserCount];
        var bi = new float[data.ItemCount];
        var mu = (float)data.GlobalMean;
        var users = Enumerable.Range(0, data.UserCount).ToArray();
        var lr = o.LearningRate;
        for (var epoch = 0; epoch < o.Epochs; epoch++)
        {
            random.Shuffle(users);
            foreach (var u in users)
            {
                var start = data.UserOffsets[u];
                var count = data.UserRatingCount(u);
                var order = Enumerable.Range(start, count).ToArray();
                random.Shuffle(order);
                var scale = 1f / MathF.Sqrt(count);
                foreach (var n in order)
                {
                    var i = data.UserItems[n];
                    var z = new float[f];
                    for (var m = start; m < start + count; m++)
                    {
                        for (var k = 0; k < f; k++)
                        {
                            z[k] += y[(data.UserItems[m] * f) + k] * scale;
                        }
                    }

                    var dot = 0f;
                    for (var k = 0; k < f; k++)
                    {
                        dot += q[(i * f) + k] * (p[(u * f) + k] + z[k]);
                    }

                    var err = data.UserValues[n] - (mu + bu[u] + bi[i] + dot);
                    bu[u] += lr * (err - (o.BiasRegularization * bu[u]));
                    bi[i] += lr * (err - (o.BiasRegularization * bi[i]));
                    for (var k = 0; k < f; k++)
                    {
                        var puk = p[(u * f) + k];
                        var qik = q[(i * f) + k];
                        p[(u * f) + k] += lr * ((err * qik) - (o.Regularization * puk));
                        q[(i * f) + k] += lr * ((err * (puk + z[k])) - (o.Regularization * qik));
                        for (var m = start; m < start + count; m++)
                        {
                            var j = (data.UserItems[m] * f) + k;
                            y[j] += lr * ((err * qik * scale) - (o.ImplicitRegularization * y[j]));
                        }
                    }
                }
            }

            lr *= o.LearningRateDecay;
        }

        return (u, i) =>
        {
            var count = data.UserRatingCount(u);
            var dot = 0f;
            for (var k = 0; k < f; k++)
            {
                var z = 0f;
                for (var m = data.UserOffsets[u]; m < data.UserOffsets[u + 1]; m++)
                {
                    z += y[(data.UserItems[m] * f) + k];
                }

                dot += q[(i * f) + k] * (p[(u * f) + k] + (z / MathF.Sqrt(count)));
            }

            return mu + bu[u] + bi[i] + dot;
        };
    }
}
