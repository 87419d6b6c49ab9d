using Lattice.ML.Anomaly;
using Lattice.ML.Datasets;
using Lattice.ML.Tests.Recommendation;

namespace Lattice.ML.Tests.Anomaly;

public sealed class IsolationForestTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(256, 10.244770920116851)] // 2(ln 255 + γ) − 2·255/256
    public void AveragePathLength_KnownValues(double n, double expected) =>
        Assert.Equal(expected, IsolationForest.AveragePathLength(n), 9);

    [Fact]
    public void Train_CardioSixtyFortySplits_RocAucNearPyOdFigure()
    {
        var data = OddsDataset.Read(DatasetLocator.Resolve("anomaly", "odds", "cardio.csv"));
        double auc = 0;
        for (var seed = 0; seed < 3; seed++)
        {
            var order = Enumerable.Range(0, data.Rows).ToArray();
            new Random(seed).Shuffle(order);
            var cut = (int)(data.Rows * 0.6);
            var sut = IsolationForest.Train(data.Subset(order[..cut]), new IsolationForestOptions { Seed = seed });
            var test = data.Subset(order[cut..]);
            auc += BinaryClassificationMetrics.RocAuc(sut.ScoreAll(test), test.Labels) / 3;
        }

        // PyOD publishes 0.924; three splits vary more than the benchmark's thirty.
        Assert.InRange(auc, 0.90, 0.95);
    }

    [Fact]
    public void Score_FarOutlier_ScoresAboveInliers()
    {
        var random = new Random(1);
        var rows = 500;
        // Sums of uniforms: a bump centred on 1.5, so the centre is dense and (5, 5) is far outside.
        var features = Enumerable.Range(0, rows * 2).Select(_ => (float)(random.NextDouble() + random.NextDouble() + random.NextDouble())).ToArray();
        var sut = IsolationForest.Train(new TabularDataset(features, 2, new bool[rows]), new IsolationForestOptions { Seed = 3 });

        var outlier = sut.Score([5f, 5f]);
        var inlier = sut.Score([1.5f, 1.5f]);

        Assert.True(outlier > 0.6, $"outlier {outlier}");
        Assert.True(inlier < outlier - 0.15, $"inlier {inlier}, outlier {outlier}");
    }

    [Fact]
    public void Train_ConstantData_ScoresEveryRowTheSame()
    {
        var sut = IsolationForest.Train(new TabularDataset(Enumerable.Repeat(1f, 60).ToArray(), 3, new bool[20]));

        Assert.Equal(sut.Score([1f, 1f, 1f]), sut.Score([9f, 9f, 9f]));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    public void Score_NonFiniteFeature_Throws(float value)
    {
        var sut = IsolationForest.Train(new TabularDataset([1f, 2f, 3f, 4f], 2, new bool[2]));

        Assert.Throws<ArgumentException>(() => sut.Score([value, 1f]));
    }

    [Fact]
    public void Score_WrongWidth_Throws()
    {
        var sut = IsolationForest.Train(new TabularDataset([1f, 2f, 3f, 4f], 2, new bool[2]));

        Assert.Throws<ArgumentException>(() => sut.Score([1f]));
    }

    [Fact]
    public void FromModelFile_RoundTrip_SameScores()
    {
        var data = OddsDataset.Read(DatasetLocator.Resolve("anomaly", "odds", "thyroid.csv"));
        var model = IsolationForest.Train(data, new IsolationForestOptions { Trees = 20 });

        var sut = IsolationForest.FromModelFile(TabularTestData.RoundTrip(model.ToModelFile(TabularTestData.Metadata("forest"))));

        Assert.Equal(model.ScoreAll(data), sut.ScoreAll(data));
    }
}
