using Lattice.ML.Anomaly;
using Lattice.ML.Datasets;
using Lattice.ML.ModelFiles;
using Lattice.ML.Tests.Recommendation;

namespace Lattice.ML.Tests.Anomaly;

public sealed class GradientBoostedTreesTests
{
    private static readonly Lazy<(TabularDataset Train, TabularDataset Test)> Thyroid = new(() =>
    {
        var data = OddsDataset.Read(DatasetLocator.Resolve("anomaly", "odds", "thyroid.csv"));
        var (train, test) = GradientBoostedTrees.StratifiedSplit(data.Labels, 0.2, new Random(4));
        return (data.Subset(train), data.Subset(test));
    });

    [Fact]
    public void Train_ThyroidHeldOut_BeatsIsolationForest()
    {
        var (train, test) = Thyroid.Value;

        var sut = GradientBoostedTrees.Train(train);
        var forest = IsolationForest.Train(train);

        var trees = BinaryClassificationMetrics.RocAuc(sut.PredictAll(test), test.Labels);
        var unsupervised = BinaryClassificationMetrics.RocAuc(forest.ScoreAll(test), test.Labels);
        Assert.True(trees >= 0.98, $"boosted trees ROC-AUC {trees}");
        Assert.True(trees > unsupervised, $"trees {trees} vs forest {unsupervised}");
        Assert.True(BinaryClassificationMetrics.AveragePrecision(sut.PredictAll(test), test.Labels) > 0.8);
    }

    [Fact]
    public void Explain_ContributionsPlusBias_EqualRawScore()
    {
        var (train, test) = Thyroid.Value;
        var sut = GradientBoostedTrees.Train(train, new GradientBoostingOptions { MaxRounds = 30 });
        var contributions = new double[sut.Columns];

        for (var r = 0; r < 50; r++)
        {
            var raw = sut.Explain(test.Row(r), contributions);

            Assert.Equal(sut.RawScore(test.Row(r)), raw, 9);
            Assert.Equal(raw, sut.ExpectedRawScore + contributions.Sum(), 4);
        }
    }

    [Fact]
    public void Explain_MatchesBruteForceShapleyValues()
    {
        var (train, test) = Thyroid.Value;
        var sut = GradientBoostedTrees.Train(train, new GradientBoostingOptions { MaxRounds = 4, EarlyStoppingRounds = 100 });
        var contributions = new double[sut.Columns];

        for (var r = 0; r < 20; r++)
        {
            var row = test.Row(r).ToArray();
            sut.Explain(row, contributions);

            var expected = BruteForceShapley(sut, row);
            for (var f = 0; f < sut.Columns; f++)
            {
                Assert.Equal(expected[f], contributions[f], 5);
            }
        }
    }

    /// <summary>Shapley values by enumerating feature subsets; a feature outside the subset is integrated out by branch cover.</summary>
    private static double[] BruteForceShapley(GradientBoostedTrees model, float[] row)
    {
        var trees = model.Trees;
        double Value(int node, int subset) => trees.Feature[node] < 0
            ? model.Values[node]
            : (subset & (1 << trees.Feature[node])) != 0
                ? Value(row[trees.Feature[node]] <= trees.Threshold[node] ? trees.Left[node] : trees.Right[node], subset)
                : ((model.Cover[trees.Left[node]] * Value(trees.Left[node], subset)) + (model.Cover[trees.Right[node]] * Value(trees.Right[node], subset))) / model.Cover[node];
        double Total(int subset) => trees.Roots.Sum(root => Value(root, subset));
        static double Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);

        var m = model.Columns;
        var phi = new double[m];
        for (var f = 0; f < m; f++)
        {
            for (var subset = 0; subset < 1 << m; subset++)
            {
                if ((subset & (1 << f)) != 0)
                {
                    continue;
                }

                var size = int.PopCount(subset);
                phi[f] += Factorial(size) * Factorial(m - size - 1) / Factorial(m) * (Total(subset | (1 << f)) - Total(subset));
            }
        }

        return phi;
    }

    [Fact]
    public void Train_EarlyStopping_StopsBeforeMaxRounds()
    {
        var sut = GradientBoostedTrees.Train(Thyroid.Value.Train, new GradientBoostingOptions { MaxRounds = 2000, EarlyStoppingRounds = 10 });

        Assert.InRange(sut.TreeCount, 1, 1999);
    }

    [Fact]
    public void Train_SingleClass_Throws() =>
        Assert.Throws<ArgumentException>(() => GradientBoostedTrees.Train(new TabularDataset([1f, 2f, 3f], 1, [false, false, false])));

    [Fact]
    public void RawScore_NaNFeature_Throws()
    {
        var sut = GradientBoostedTrees.Train(Thyroid.Value.Train, new GradientBoostingOptions { MaxRounds = 5 });

        Assert.Throws<ArgumentException>(() => sut.RawScore([float.NaN, 0, 0, 0, 0, 0]));
    }

    [Fact]
    public void FromModelFile_RoundTrip_SameProbabilities()
    {
        var (train, test) = Thyroid.Value;
        var model = GradientBoostedTrees.Train(train, new GradientBoostingOptions { MaxRounds = 20 });

        var sut = GradientBoostedTrees.FromModelFile(TabularTestData.RoundTrip(model.ToModelFile(TabularTestData.Metadata("trees"))));

        Assert.Equal(model.PredictAll(test), sut.PredictAll(test));
    }

    [Fact]
    public void FromModelFile_ChildPointingBackwards_ThrowsModelFileException()
    {
        var writer = new ModelFileWriter(TabularTestData.Metadata("bad") with { Algorithm = GradientBoostedTrees.AlgorithmName })
            .Add<int>("config", [1]).Add<double>("base_score", [0]).Add<int>("roots", [0])
            .Add<int>("feature", [0, -1]).Add<float>("threshold", [0.5f, 0]).Add<int>("left", [0, -1])
            .Add<int>("right", [1, -1]).Add<float>("value", [0, 0]);

        Assert.Throws<ModelFileException>(() => GradientBoostedTrees.FromModelFile(TabularTestData.RoundTrip(writer)));
    }
}
