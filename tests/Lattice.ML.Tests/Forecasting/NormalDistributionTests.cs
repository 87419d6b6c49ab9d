using Lattice.ML.Forecasting;

namespace Lattice.ML.Tests.Forecasting;

public sealed class NormalDistributionTests
{
    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.9, 1.2815515655446004)]
    [InlineData(0.001, -3.090232306167813)]
    public void Quantile_KnownValues(double p, double expected) =>
        Assert.Equal(expected, NormalDistribution.Quantile(p), 7);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(double.NaN)]
    public void Quantile_OutsideOpenInterval_Throws(double p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => NormalDistribution.Quantile(p));
}
