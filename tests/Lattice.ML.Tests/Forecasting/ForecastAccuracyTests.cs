using Lattice.ML.Datasets;
using Lattice.ML.Forecasting;

namespace Lattice.ML.Tests.Forecasting;

public sealed class ForecastAccuracyTests
{
    [Fact]
    public void Smape_KnownValue()
    {
        // 200/2 · (10/210 + 20/380)
        var sut = ForecastAccuracy.Smape([100, 200], [110, 180]);

        Assert.Equal(100 * ((10.0 / 210) + (20.0 / 380)), sut, 10);
    }

    [Fact]
    public void Smape_BothZero_CountsAsNoError() =>
        Assert.Equal(0, ForecastAccuracy.Smape([0, 0], [0, 0]));

    [Fact]
    public void Mase_KnownValue()
    {
        // In-sample seasonal differences at lag 2: |3−1|, |4−2|, |7−3| → scale 8/3; errors 1 and 3 → mean 2.
        var sut = ForecastAccuracy.Mase([1, 2, 3, 4, 7], [10, 10], [11, 7], seasonLength: 2);

        Assert.Equal(2 / (8.0 / 3), sut, 10);
    }

    [Fact]
    public void Owa_KnownValue() =>
        Assert.Equal(0.75, ForecastAccuracy.Owa(smape: 10, mase: 2, naive2Smape: 20, naive2Mase: 2), 10);

    [Fact]
    public void Mase_InsampleNotLongerThanSeason_Throws() =>
        Assert.Throws<ArgumentException>(() => ForecastAccuracy.Mase([1, 2], [1], [1], seasonLength: 2));

    [Fact]
    public void M4Hourly_Naive2AndSeasonalNaive_ReproducePublishedFigures()
    {
        var series = M4Dataset.Read(DatasetLocator.Resolve("forecasting", "m4", "Hourly-train.csv"), DatasetLocator.Resolve("forecasting", "m4", "Hourly-test.csv"));
        double Mean(ForecastMethod method, Func<M4Series, double[], double> measure) => series.Average(s =>
            measure(s, Forecaster.Forecast(s.Train, 48, ForecastOptions.For(SeriesFrequency.Hourly) with { Method = method }).Point));

        var naive2Smape = Mean(ForecastMethod.Naive2, (s, f) => ForecastAccuracy.Smape(s.Test, f));
        var naive2Mase = Mean(ForecastMethod.Naive2, (s, f) => ForecastAccuracy.Mase(s.Train, s.Test, f, 24));
        var seasonalSmape = Mean(ForecastMethod.SeasonalNaive, (s, f) => ForecastAccuracy.Smape(s.Test, f));

        // The M4 organisers' table (3 decimals): Naive2 18.383 / 2.395, seasonal naive 13.912.
        Assert.Equal(414, series.Count);
        Assert.Equal(18.383, naive2Smape, 0.0006);
        Assert.Equal(2.395, naive2Mase, 0.0006);
        Assert.Equal(13.912, seasonalSmape, 0.0006);
    }
}
