using System.Globalization;
using System.Net;
using System.Text;
using Lattice.Services.Tabular.Tests.Support;

namespace Lattice.Services.Tabular.Tests.Forecast;

public sealed class ForecastApiTests(ForecastFixture fixture) : IClassFixture<ForecastFixture>
{
    private readonly HttpClient _client = fixture.Client;

    /// <summary>A week of an hourly series with a daily cycle and a slight trend.</summary>
    internal static string HourlySeries { get; } = Series(Enumerable.Range(0, 168).Select(t => 100 + (20 * Math.Sin(2 * Math.PI * t / 24)) + (0.2 * t)));

    [Fact]
    public async Task Forecast_HourlySeries_ReturnsHorizonPointsNestedIntervalsAndMethod()
    {
        var reply = await _client.PostAsync("/v1/forecasts", $$"""{"series": {{HourlySeries}}, "frequency": "hourly", "horizon": 48, "levels": [80, 95], "id": "f-1"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var point = reply.Body.GetProperty("forecast").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(48, point.Length);
        var intervals = reply.Body.GetProperty("intervals").EnumerateArray().ToList();
        Assert.Equal([80d, 95d], intervals.Select(i => i.GetProperty("level").GetDouble()));
        var lower80 = Values(intervals[0], "lower");
        var upper80 = Values(intervals[0], "upper");
        var lower95 = Values(intervals[1], "lower");
        var upper95 = Values(intervals[1], "upper");
        for (var h = 0; h < 48; h++)
        {
            Assert.InRange(point[h], lower80[h], upper80[h]);
            Assert.True(lower95[h] <= lower80[h] && upper95[h] >= upper80[h], $"the 95% interval is not wider at step {h}");
        }

        // The daily cycle is forecast: the next day's peak (t = 174) sits well above its trough (t = 186).
        Assert.True(point[174 - 168] > point[186 - 168] + 10, $"no daily cycle: {point[6]} vs {point[18]}");
        Assert.False(string.IsNullOrWhiteSpace(reply.Body.GetProperty("method").GetString()));
        Assert.Equal("hourly", reply.Body.GetProperty("frequency").GetString());
        Assert.Equal(48, reply.Body.GetProperty("horizon").GetInt32());
        Assert.Equal("forecast", reply.Body.GetProperty("model").GetString());
        Assert.Equal("1", reply.Body.GetProperty("version").GetString());
        Assert.Equal("f-1", reply.Body.GetProperty("id").GetString());
        Assert.Equal("1", reply.Header("X-Model-Version"));
    }

    [Fact]
    public async Task Forecast_NaiveMethodWithoutLevels_RepeatsTheLastValueWithDefaultIntervals()
    {
        var reply = await _client.PostAsync("/v1/forecasts", """{"series": [3, 5, 4, 6, 7.25], "horizon": 3, "method": "naive"}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([7.25, 7.25, 7.25], reply.Body.GetProperty("forecast").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("Naive", reply.Body.GetProperty("method").GetString());
        Assert.Equal("other", reply.Body.GetProperty("frequency").GetString());
        Assert.Equal([80d, 95d], reply.Body.GetProperty("intervals").EnumerateArray().Select(i => i.GetProperty("level").GetDouble()));
    }

    [Fact]
    public async Task Forecast_EmptyLevels_ReturnsNoIntervals()
    {
        var reply = await _client.PostAsync("/v1/forecasts", """{"series": [1, 2, 3, 4], "horizon": 2, "levels": []}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(0, reply.Body.GetProperty("intervals").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"series": [], "horizon": 3}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": -5}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 0}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "levels": [0]}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "levels": [100]}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "levels": [150]}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "levels": [-10]}""")]
    // 0.5 + level / 200 rounds to 1, where the interval's normal quantile is undefined (was a 500).
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "levels": [80, 99.99999999999999]}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "frequency": "fortnightly"}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "method": "crystal_ball"}""")]
    [InlineData("""{"series": [1, "NaN", 3], "horizon": 3}""")]
    [InlineData("""{"series": [1, NaN, 3], "horizon": 3}""")]
    [InlineData("""{"series": [1, "Infinity", 3], "horizon": 3}""")]
    [InlineData("""{"series": [1, 1e999, 3], "horizon": 3}""")]
    [InlineData("""{"series": [1, -1e999, 3], "horizon": 3}""")]
    [InlineData("""{"series": [1, 1e300, 3], "horizon": 3}""")]
    [InlineData("""{"series": [1, null, 3], "horizon": 3}""")]
    [InlineData("""{"series": [1, "2", 3], "horizon": 3}""")]
    [InlineData("""{"series": "1, 2, 3", "horizon": 3}""")]
    [InlineData("""{"series": [[1, 2, 3]], "horizon": 3}""")]
    [InlineData("""{"series": [1, 2, 3]}""")]
    [InlineData("""{"horizon": 3}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": "3"}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 2.5}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "levels": 80}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "frequency": 24}""")]
    [InlineData("not json")]
    public async Task Forecast_InvalidInput_Returns400InvalidInput(string json)
    {
        var reply = await _client.PostAsync("/v1/forecasts", json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
    }

    [Fact]
    public async Task Forecast_LevelJustBelowTheRoundingEdge_GivesAFiniteInterval()
    {
        var reply = await _client.PostAsync("/v1/forecasts", """{"series": [1, 2, 3, 4], "horizon": 2, "levels": [99.99999999999997]}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var interval = Assert.Single(reply.Body.GetProperty("intervals").EnumerateArray());
        Assert.True(Values(interval, "upper")[1] > Values(interval, "lower")[1]);
    }

    [Theory]
    [InlineData("frequency")]
    [InlineData("method")]
    public async Task Forecast_VeryLongUnknownName_IsRefusedWithoutEchoingItWhole(string field)
    {
        var reply = await _client.PostAsync("/v1/forecasts", $$"""{"series": [1, 2, 3], "horizon": 1, "{{field}}": "{{new string('x', 100_000)}}"}""");

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.InvalidInput);
        Assert.InRange(reply.Body.GetProperty("detail").GetString()!.Length, 1, 1_000);
    }

    [Theory]
    [InlineData("""{"series": [1, 2, 3], "horizon": 1001}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 2147483647}""")]
    [InlineData("""{"series": [1, 2, 3], "horizon": 3, "levels": [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99]}""")]
    public async Task Forecast_BeyondALimit_Returns400LimitExceeded(string json)
    {
        var reply = await _client.PostAsync("/v1/forecasts", json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.LimitExceeded);
    }

    [Fact]
    public async Task Forecast_SeriesLongerThanMaxSeriesLength_Returns400LimitExceeded()
    {
        var json = $$"""{"series": [{{string.Join(',', Enumerable.Repeat('1', 100_001))}}], "horizon": 1}""";

        var reply = await _client.PostAsync("/v1/forecasts", json);

        reply.AssertProblem(HttpStatusCode.BadRequest, Http.LimitExceeded);
        Assert.Contains("MaxSeriesLength", reply.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forecast_LongestAcceptedSeries_IsForecast()
    {
        var json = $$"""{"series": {{Series(Enumerable.Range(0, 100_000).Select(t => 50.0 + (t % 24)))}}, "frequency": "hourly", "horizon": 24}""";

        var reply = await _client.PostAsync("/v1/forecasts", json);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(24, reply.Body.GetProperty("forecast").GetArrayLength());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Forecast_TenMillionPointSeries_IsRefusedBy413WithoutReadingIt(bool declaredLength)
    {
        using var content = new TenMillionPointSeries(declaredLength);

        using var response = await _client.PostAsync("/v1/forecasts", content, TestContext.Current.CancellationToken);

        // Kestrel may drain the rest of the body after the answer to keep the connection; the model server never buffers it.
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    private static double[] Values(System.Text.Json.JsonElement interval, string name) =>
        [.. interval.GetProperty(name).EnumerateArray().Select(v => v.GetDouble())];

    internal static string Series(IEnumerable<double> values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    /// <summary>
    /// <c>{"series": [1, 1, ... 10 million times], "horizon": 1}</c> (20 MB), written in chunks as the server reads it.
    /// With a declared length the server answers from Content-Length alone; without, it stops reading at its limit.
    /// </summary>
    private sealed class TenMillionPointSeries(bool declaredLength) : HttpContent
    {
        private const int Points = 10_000_000;
        private static readonly byte[] Head = """{"horizon": 1, "series": [1"""u8.ToArray();
        private static readonly byte[] Tail = "]}"u8.ToArray();
        private static readonly byte[] Chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(",1", 32 * 1024)));

        public long Length { get; } = Head.Length + (2L * (Points - 1)) + Tail.Length;

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            try
            {
                await stream.WriteAsync(Head, cancellationToken);
                var remaining = 2L * (Points - 1);
                while (remaining > 0)
                {
                    var count = (int)Math.Min(remaining, Chunk.Length);
                    await stream.WriteAsync(Chunk.AsMemory(0, count), cancellationToken);
                    remaining -= count;
                }

                await stream.WriteAsync(Tail, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Http.HttpRequestException)
            {
                // The server answered and closed the connection before the body was sent: that is the point.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = Length;
            return declaredLength;
        }
    }
}
