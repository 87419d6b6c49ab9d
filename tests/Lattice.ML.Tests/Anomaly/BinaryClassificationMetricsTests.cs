using Lattice.ML.Anomaly;

namespace Lattice.ML.Tests.Anomaly;

public sealed class BinaryClassificationMetricsTests
{
    // scikit-learn's documented example: roc_auc_score = 0.75, average_precision_score = 0.8333.
    private static readonly double[] Scores = [0.1, 0.4, 0.35, 0.8];
    private static readonly bool[] Labels = [false, false, true, true];

    [Fact]
    public void RocAuc_ScikitLearnExample_Is075() =>
        Assert.Equal(0.75, BinaryClassificationMetrics.RocAuc(Scores, Labels), 10);

    [Fact]
    public void AveragePrecision_ScikitLearnExample_Is0833() =>
        Assert.Equal(5.0 / 6, BinaryClassificationMetrics.AveragePrecision(Scores, Labels), 10);

    [Fact]
    public void RocAuc_AllScoresTied_IsOneHalf() =>
        Assert.Equal(0.5, BinaryClassificationMetrics.RocAuc([1, 1, 1, 1], [true, false, true, false]), 10);

    [Fact]
    public void AveragePrecision_AllScoresTied_IsPrevalence() =>
        Assert.Equal(0.25, BinaryClassificationMetrics.AveragePrecision([2, 2, 2, 2], [true, false, false, false]), 10);

    [Fact]
    public void RocAuc_PerfectAndReversedRanking_OneAndZero()
    {
        Assert.Equal(1.0, BinaryClassificationMetrics.RocAuc([0.1, 0.2, 0.9], [false, false, true]), 10);
        Assert.Equal(0.0, BinaryClassificationMetrics.RocAuc([0.9, 0.8, 0.1], [false, false, true]), 10);
    }

    [Fact]
    public void RocAuc_SingleClass_IsNaN() =>
        Assert.True(double.IsNaN(BinaryClassificationMetrics.RocAuc([0.1, 0.2], [true, true])));

    [Fact]
    public void RocAuc_MismatchedLengths_Throws() =>
        Assert.Throws<ArgumentException>(() => BinaryClassificationMetrics.RocAuc([0.1, 0.2], [true]));

    [Fact]
    public void RocAuc_NaNScore_Throws() =>
        Assert.Throws<ArgumentException>(() => BinaryClassificationMetrics.RocAuc([double.NaN, 0.2], [true, false]));
}
