using System.Diagnostics;
using Lattice.ML.Datasets;
using Lattice.ML.Forecasting;

namespace Lattice.ML.Tests.Forecasting;

public sealed class ForecasterTests
{
    private static double Owa(IReadOnlyList<M4Series> series, ForecastOptions options, int maseLag)
    {
        (double Smape, double Mase) Mean(ForecastMethod method)
        {
            var forecasts = series.Select(s => Forecaster.Forecast(s.Train, s.Test.Length, options with { Method = method }).Point).ToArray();
            return (series.Select((s, n) => ForecastAccuracy.Smape(s.Test, forecasts[n])).Average(),
                series.Select((s, n) => ForecastAccuracy.Mase(s.Train, s.Test, forecasts[n], maseLag)).Average());
        }

        var (smape, mase) = Mean(options.Method);
        var (naive2Smape, naive2Mase) = Mean(ForecastMethod.Naive2);
        return ForecastAccuracy.Owa(smape, mase, naive2Smape, naive2Mase);
    }

    /// <summary>Every 12th series, skipping very long ones so the test stays quick.</summary>
    private static IReadOnlyList<M4Series> M4(string subset, int count) =>
        M4Dataset.Read(DatasetLocator.Resolve("forecasting", "m4", $"{subset}-train.csv"), DatasetLocator.Resolve("forecasting", "m4", $"{subset}-test.csv"))
            .Where((s, n) => n % 12 == 0 && s.Train.Length <= 1_000).Take(count).ToArray();

    [Fact]
    public void Forecast_AutoOnM4HourlySubset_BeatsSeasonalNaive()
    {
        var series = M4("Hourly", 16);
        var options = ForecastOptions.For(SeriesFrequency.Hourly);

        var auto = Owa(series, options, 24);
        var seasonalNaive = Owa(series, options with { Method = ForecastMethod.SeasonalNaive }, 24);

        Assert.True(auto < seasonalNaive, $"auto {auto} vs seasonal naive {seasonalNaive}");
        Assert.True(auto < 0.7, $"auto OWA {auto}");
    }

    [Fact]
    public void Forecast_AutoOnM4WeeklySubset_BeatsTheta()
    {
        var series = M4("Weekly", 10);
        var options = ForecastOptions.For(SeriesFrequency.Weekly);

        var auto = Owa(series, options, 1);
        var theta = Owa(series, options with { Method = ForecastMethod.Theta }, 1);

        Assert.True(auto < theta, $"auto {auto} vs theta {theta}");
    }

    [Fact]
    public void Forecast_HoltWintersMultiplicativeOnAirline_BeatsSeasonalNaive()
    {
        var values = File.ReadLines(DatasetLocator.Resolve("forecasting", "classic", "airline-passengers.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var train = values[..^12];
        var test = values[^12..];
        var options = new ForecastOptions { SeasonLength = 12 };

        var sut = Forecaster.Forecast(train, 12, options with { Method = ForecastMethod.HoltWintersMultiplicative });
        var ets = Forecaster.Forecast(train, 12, options with { Method = ForecastMethod.Ets });
        var naive = Forecaster.Forecast(train, 12, options with { Method = ForecastMethod.SeasonalNaive });

        Assert.Equal("ETS(M,A,M)", sut.Method);
        Assert.StartsWith("ETS(", ets.Method, StringComparison.Ordinal);
        Assert.True(ForecastAccuracy.Smape(test, sut.Point) < ForecastAccuracy.Smape(test, naive.Point));
        Assert.True(ForecastAccuracy.Smape(test, ets.Point) < ForecastAccuracy.Smape(test, naive.Point));
    }

    [Theory]
    [InlineData(ForecastMethod.Auto)]
    [InlineData(ForecastMethod.Ses)]
    [InlineData(ForecastMethod.Holt)]
    [InlineData(ForecastMethod.Damped)]
    [InlineData(ForecastMethod.Theta)]
    [InlineData(ForecastMethod.Comb)]
    [InlineData(ForecastMethod.Naive2)]
    [InlineData(ForecastMethod.HoltWintersAdditive)]
    public void Forecast_Intervals_NestAroundPoint(ForecastMethod method)
    {
        var series = Enumerable.Range(0, 200).Select(t => 50 + (0.1 * t) + (8 * Math.Sin(2 * Math.PI * t / 12)) + (3 * Math.Cos(t * 1.7))).ToArray();

        var sut = Forecaster.Forecast(series, 24, new ForecastOptions { Method = method, SeasonLength = 12, Levels = [80, 95] });

        Assert.Equal(24, sut.Point.Length);
        Assert.Equal([80.0, 95.0], sut.Intervals.Select(i => i.Level));
        for (var h = 0; h < 24; h++)
        {
            Assert.True(double.IsFinite(sut.Point[h]));
            Assert.InRange(sut.Point[h], sut.Intervals[0].Lower[h], sut.Intervals[0].Upper[h]);
            Assert.True(sut.Intervals[1].Lower[h] <= sut.Intervals[0].Lower[h] && sut.Intervals[1].Upper[h] >= sut.Intervals[0].Upper[h]);
        }

        Assert.False(string.IsNullOrEmpty(sut.Method));
    }

    [Fact]
    public void Forecast_WeeklySeriesTooShortForTheYearlyCycle_StillSelectsFromThePool()
    {
        var random = new Random(3);
        var series = Enumerable.Range(0, 90).Select(t => 200 + t + (5 * random.NextDouble())).ToArray();

        var sut = Forecaster.Forecast(series, 13, ForecastOptions.For(SeriesFrequency.Weekly));

        Assert.StartsWith("Combination(", sut.Method, StringComparison.Ordinal);
        Assert.DoesNotContain("52", sut.Method, StringComparison.Ordinal);
    }

    [Fact]
    public void Forecast_NonNegativeSeries_NeverForecastsBelowZero()
    {
        double[] series = [5, 3, 1, 0.5, 0.2, 0.1, 0, 0, 0.1, 0];

        var sut = Forecaster.Forecast(series, 10, new ForecastOptions { Method = ForecastMethod.Holt });

        Assert.All(sut.Point, v => Assert.True(v >= 0));
        Assert.All(sut.Intervals.SelectMany(i => i.Lower), v => Assert.True(v >= 0));
    }

    [Fact]
    public void Forecast_ConstantSeries_ForecastsTheConstant()
    {
        var sut = Forecaster.Forecast(Enumerable.Repeat(7.0, 100).ToArray(), 5, ForecastOptions.For(SeriesFrequency.Hourly));

        Assert.All(sut.Point, v => Assert.Equal(7.0, v, 6));
    }

    [Theory]
    [InlineData(ForecastMethod.Auto)]
    [InlineData(ForecastMethod.Ets)]
    [InlineData(ForecastMethod.HoltWintersMultiplicative)]
    [InlineData(ForecastMethod.Naive2)]
    public void Forecast_AllZeroSeries_FiniteZeroForecast(ForecastMethod method)
    {
        var sut = Forecaster.Forecast(new double[300], 30, ForecastOptions.For(SeriesFrequency.Hourly) with { Method = method });

        Assert.All(sut.Point, v => Assert.Equal(0, v, 9));
        Assert.All(sut.Intervals.SelectMany(i => i.Upper), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Forecast_NegativeSeasonalSeries_UsesAdditiveAdjustment()
    {
        var series = Enumerable.Range(0, 120).Select(t => -50 + (10 * Math.Sin(2 * Math.PI * t / 12))).ToArray();

        var sut = Forecaster.Forecast(series, 12, new ForecastOptions { SeasonLength = 12, Method = ForecastMethod.Theta });

        Assert.All(sut.Point.Zip(series[^12..]), p => Assert.Equal(p.Second, p.First, 0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Forecast_VeryShortSeries_StillForecasts(int length)
    {
        var sut = Forecaster.Forecast(Enumerable.Range(1, length).Select(v => (double)v).ToArray(), 3, ForecastOptions.For(SeriesFrequency.Hourly));

        Assert.Equal(3, sut.Point.Length);
        Assert.All(sut.Point, v => Assert.True(double.IsFinite(v)));
    }

    public static TheoryData<double[], string> BadSeries() => new()
    {
        { [], "empty" },
        { [1, double.NaN, 3], "non-finite" },
        { [1, double.PositiveInfinity], "non-finite" },
        { [double.NegativeInfinity, 1], "non-finite" },
        { [1, 1e300, 2], "beyond" },
    };

    [Theory]
    [MemberData(nameof(BadSeries))]
    public void Forecast_BadSeries_ThrowsWithClearMessage(double[] series, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => Forecaster.Forecast(series, 5));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(ForecastLimits.MaxHorizon + 1)]
    public void Forecast_HorizonOutOfRange_Throws(int horizon) =>
        Assert.Throws<ArgumentException>(() => Forecaster.Forecast([1, 2, 3], horizon));

    [Fact]
    public void Forecast_BadOptions_Throws()
    {
        Assert.Throws<ArgumentException>(() => Forecaster.Forecast([1, 2, 3], 2, new ForecastOptions { Levels = [100] }));
        Assert.Throws<ArgumentException>(() => Forecaster.Forecast([1, 2, 3], 2, new ForecastOptions { Levels = [99.99999999999999] }));
        Assert.Throws<ArgumentException>(() => Forecaster.Forecast([1, 2, 3], 2, new ForecastOptions { SeasonLength = 0 }));
        Assert.Throws<ArgumentException>(() => Forecaster.Forecast([1, 2, 3], 2, new ForecastOptions { SeasonLength = 24, LongSeasonLength = 100 }));
    }

    [Fact]
    public void Forecast_TenMillionPoints_RefusedByLimit()
    {
        var series = new double[10_000_000];
        var watch = Stopwatch.StartNew();

        var ex = Assert.Throws<ArgumentException>(() => Forecaster.Forecast(series, 48, ForecastOptions.For(SeriesFrequency.Hourly)));

        Assert.Contains(ForecastLimits.MaxSeriesLength.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "refusal must not do any work on the series"); // a hang guard only
    }

    [Fact]
    public void Forecast_LongestAcceptedSeries_FitsOnRecentWindow()
    {
        var series = Enumerable.Range(0, ForecastLimits.MaxSeriesLength).Select(t => 100 + (10 * Math.Sin(2 * Math.PI * t / 24))).ToArray();

        var sut = Forecaster.Forecast(series, 48, ForecastOptions.For(SeriesFrequency.Hourly));

        Assert.Equal(48, sut.Point.Length);
        Assert.Equal(series[^24], sut.Point[0], 1);
    }

    [Fact]
    public void Validate_ValidRequest_ReturnsNull()
    {
        Assert.Null(Forecaster.Validate([1, 2, 3], 2, new ForecastOptions()));
        Assert.Null(Forecaster.Validate([1, 2, 3], 2, new ForecastOptions { Levels = [99.99999999999997] }));
    }
}
