using Lattice.ML.Forecasting;
using Lattice.Services.Forecast.Serving;

namespace Lattice.Services.Tabular.Tests.Forecast;

public sealed class ForecastOperationTests
{
    [Fact]
    public void Forecast_CallerHungUp_StopsBeforeTheNextSeries()
    {
        // An OIP request may hold hundreds of series, a second or more of fitting each: a caller that hung up is not
        // worth finishing for (the model server passes the request's abort token).
        var series = Enumerable.Range(0, 3).Select(_ => new double[] { 1, 2, 3, 4, 5, 6 }).ToArray();
        var job = new ForecastJob(series, 2, SeriesFrequency.Other, [80], ForecastMethod.Naive);
        var version = new ForecasterVersion(ForecastMethod.Naive, "test");

        var answered = ForecastOperations.Forecast.Predict(version, job, CancellationToken.None);
        Assert.Equal(3, answered.Length);
        Assert.Throws<OperationCanceledException>(() => ForecastOperations.Forecast.Predict(version, job, new CancellationToken(canceled: true)));
    }
}
