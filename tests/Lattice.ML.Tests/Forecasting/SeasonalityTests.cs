using Lattice.ML.Forecasting;

namespace Lattice.ML.Tests.Forecasting;

public sealed class SeasonalityTests
{
    private static double[] Seasonal(int length, int period, double noise, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(t => 100 + (10 * Math.Sin(2 * Math.PI * t / period)) + (noise * (random.NextDouble() - 0.5))).ToArray();
    }

    [Fact]
    public void IsSeasonal_SineWithPeriod12_True() =>
        Assert.True(Seasonality.IsSeasonal(Seasonal(120, 12, 2, 1), 12));

    [Fact]
    public void IsSeasonal_WhiteNoise_False()
    {
        var random = new Random(2);
        var noise = Enumerable.Range(0, 120).Select(_ => random.NextDouble()).ToArray();

        Assert.False(Seasonality.IsSeasonal(noise, 12));
    }

    [Fact]
    public void IsSeasonal_FewerThanThreeSeasons_False() =>
        Assert.False(Seasonality.IsSeasonal(Seasonal(35, 12, 0, 1), 12));

    [Fact]
    public void ClassicalIndices_MultiplicativeSeries_RecoversPattern()
    {
        double[] pattern = [0.8, 1.0, 1.3, 0.9];
        var y = Enumerable.Range(0, 40).Select(t => (50 + t) * pattern[t % 4]).ToArray();

        var sut = Seasonality.ClassicalIndices(y, 4, multiplicative: true);

        Assert.Equal(1.0, sut.Average(), 10);
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(pattern[k], sut[k], 2);
        }
    }

    [Fact]
    public void ClassicalIndices_FewerThanTwoSeasons_Throws() =>
        Assert.Throws<ArgumentException>(() => Seasonality.ClassicalIndices([1, 2, 3, 4, 5], 4, multiplicative: true));

    [Fact]
    public void Autocorrelation_AlternatingSeries_MinusOneAtLagOne()
    {
        var sut = Seasonality.Autocorrelation([1, -1, 1, -1, 1, -1, 1, -1], 2);

        Assert.Equal(-7.0 / 8, sut[0], 10);
        Assert.Equal(6.0 / 8, sut[1], 10);
    }
}
