using Lattice.ML.Classification;

namespace Lattice.ML.Tests.Classification;

public sealed class TrainerTests
{
    // Two features: feature 0 means class 0, feature 1 means class 1, feature 2 is noise.
    private static SparseDataset Toy(int count, int seed)
    {
        var random = new Random(seed);
        var offsets = new int[count + 1];
        var rows = new List<int>();
        var values = new List<float>();
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = random.Next(2);
            rows.Add(random.NextDouble() < 0.9 ? labels[i] : 1 - labels[i]);
            values.Add(1f);
            rows.Add(2);
            values.Add(1f);
            offsets[i + 1] = rows.Count;
        }

        return new SparseDataset(offsets, [.. rows], [.. values], labels, 3, 2);
    }

    [Fact]
    public void SoftmaxRegression_SameSeed_GivesIdenticalWeights()
    {
        var data = Toy(500, 1);
        var options = new SoftmaxRegressionOptions { Seed = 7, MaxEpochs = 5 };

        var first = (DenseLinearModel)SoftmaxRegressionTrainer.Train(data, Toy(100, 2), options).Model;
        var second = (DenseLinearModel)SoftmaxRegressionTrainer.Train(data, Toy(100, 2), options).Model;

        Assert.Equal(first.Weights, second.Weights);
        Assert.Equal(first.Bias, second.Bias);
    }

    [Fact]
    public void SoftmaxRegression_LearnsTheSignal()
    {
        var sut = SoftmaxRegressionTrainer.Train(Toy(1000, 3), Toy(200, 4), new SoftmaxRegressionOptions());

        var (_, accuracy) = SoftmaxRegressionTrainer.Evaluate(Toy(500, 5), ((DenseLinearModel)sut.Model).Weights, sut.Model.Bias);

        Assert.True(accuracy > 0.85, $"accuracy {accuracy:P1}");
    }

    [Fact]
    public void SoftmaxRegression_EarlyStopping_ReturnsBestValidationEpoch()
    {
        var sut = SoftmaxRegressionTrainer.Train(Toy(300, 6), Toy(100, 7), new SoftmaxRegressionOptions { MaxEpochs = 30, Patience = 2 });

        var best = sut.History.MinBy(h => h.ValidationLoss)!;
        Assert.Equal(best.Epoch, sut.BestEpoch);
        Assert.True(sut.History.Count <= sut.BestEpoch + 2);
    }

    [Fact]
    public void NaiveBayes_SparseWeights_EqualDenseLogProbabilities()
    {
        var data = Toy(200, 8);
        var options = new NaiveBayesOptions { Alpha = 0.5f };

        var sut = NaiveBayesTrainer.Train(data, options);

        // Score of a single feature equals bias + log((count + α) / (total + α·F)).
        var counts = new double[3, 2];
        var totals = new double[2];
        for (var i = 0; i < data.Count; i++)
        {
            foreach (var row in data.RowsOf(i))
            {
                counts[row, data.Labels[i]]++;
                totals[data.Labels[i]]++;
            }
        }

        var scores = new float[2];
        for (var row = 0; row < 3; row++)
        {
            sut.Score([row], [1f], scores);
            for (var c = 0; c < 2; c++)
            {
                var expected = sut.Bias[c] + Math.Log((counts[row, c] + 0.5) / (totals[c] + 1.5));
                Assert.Equal(expected, scores[c], 4);
            }
        }
    }

    [Fact]
    public void TemperatureScaling_OverconfidentScores_GetTemperatureAboveOne()
    {
        var data = Toy(400, 9);
        var model = new DenseLinearModel([10f, -10f, -10f, 10f, 0f, 0f], [0f, 0f], 1f);

        var temperature = TemperatureScaling.Fit(model, data);

        Assert.True(temperature > 1.5f, $"T = {temperature}");
    }

    [Fact]
    public void RowKernel_AddRows_MatchesScalarSum()
    {
        const int Classes = 77;
        var stride = RowKernel.Stride(Classes);
        var random = new Random(11);
        var matrix = Enumerable.Range(0, 50 * Classes).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var padded = RowKernel.Pad(matrix, Classes);
        int[] rows = [3, 49, 0, 3, 17];
        float[] values = [0.5f, -1f, 2f, 1f, 0.25f];
        var accumulator = new float[stride];

        RowKernel.AddRows(padded, stride, rows, values, accumulator);

        for (var c = 0; c < Classes; c++)
        {
            var expected = 0f;
            for (var i = 0; i < rows.Length; i++)
            {
                expected += values[i] * matrix[(rows[i] * Classes) + c];
            }

            Assert.Equal(expected, accumulator[c], 4);
        }
    }

    [Fact]
    public void RowKernel_AddRowsQ8_MatchesScalarSum()
    {
        const int Classes = 77;
        var stride = RowKernel.Stride(Classes);
        var random = new Random(12);
        var weights = Enumerable.Range(0, 40 * Classes).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var scales = Enumerable.Range(0, 40).Select(_ => (float)random.NextDouble()).ToArray();
        int[] rows = [0, 39, 5, 5];
        float[] values = [1f, -0.5f, 2f, 0.25f];
        var accumulator = new float[stride];

        RowKernel.AddRowsQ8(RowKernel.Pad(weights, Classes), scales, stride, rows, values, accumulator);

        for (var c = 0; c < Classes; c++)
        {
            var expected = 0f;
            for (var i = 0; i < rows.Length; i++)
            {
                expected += values[i] * scales[rows[i]] * weights[(rows[i] * Classes) + c];
            }

            Assert.Equal(expected, accumulator[c], 3);
        }
    }

    [Fact]
    public void RowKernel_RowOutOfRange_Throws()
    {
        var matrix = new float[RowKernel.Stride(20) * 3];

        Assert.Throws<ArgumentOutOfRangeException>(() => RowKernel.AddRows(matrix, RowKernel.Stride(20), [3], [1f], new float[RowKernel.Stride(20)]));
    }
}
