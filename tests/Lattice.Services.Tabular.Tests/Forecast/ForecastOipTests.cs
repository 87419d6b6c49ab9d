using System.Net;
using Lattice.Services.Tabular.Tests.Support;

namespace Lattice.Services.Tabular.Tests.Forecast;

public sealed class ForecastOipTests(ForecastFixture fixture) : IClassFixture<ForecastFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Metadata_DescribesTheForecastTensors()
    {
        var reply = await _client.GetJsonAsync("/v2/models/forecast/versions/1");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(["series", "horizon", "levels", "frequency", "method"], reply.Body.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
        Assert.Equal(["forecast", "lower", "upper", "method"], reply.Body.GetProperty("outputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
        Assert.Equal("FP64", reply.Body.GetProperty("inputs")[0].GetProperty("datatype").GetString());
    }

    [Fact]
    public async Task Infer_OneSeries_ReturnsForecastAndIntervalsWithASeriesDimension()
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", $$"""
            {"id": "oip-f", "inputs": [
              {"name": "series", "shape": [168], "datatype": "FP64", "data": {{ForecastApiTests.HourlySeries}}},
              {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [24]},
              {"name": "levels", "shape": [2], "datatype": "FP64", "data": [80, 95]},
              {"name": "frequency", "shape": [1], "datatype": "BYTES", "data": ["hourly"]}]}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("1", reply.Body.GetProperty("model_version").GetString());
        Assert.Equal("oip-f", reply.Body.GetProperty("id").GetString());
        var forecast = reply.Body.Output("forecast");
        Assert.Equal([1L, 24L], forecast.Shape());
        Assert.Equal("FP64", forecast.GetProperty("datatype").GetString());
        var lower = reply.Body.Output("lower");
        var upper = reply.Body.Output("upper");
        Assert.Equal([1L, 2L, 24L], lower.Shape());
        var (point, low, high) = (forecast.Numbers(), lower.Numbers(), upper.Numbers());
        for (var h = 0; h < 24; h++)
        {
            Assert.InRange(point[h], low[h], high[h]);
        }

        Assert.Single(reply.Body.Output("method").Strings());
    }

    [Fact]
    public async Task Infer_Fp64Values_AreReadExactly()
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", """
            {"inputs": [
              {"name": "series", "shape": [1, 4], "datatype": "FP64", "data": [[1234567.891234, 1234567.891234, 1234567.891234, 1234567.891234]]},
              {"name": "horizon", "shape": [1], "datatype": "INT64", "data": [2]},
              {"name": "method", "shape": [1], "datatype": "BYTES", "data": ["naive"]}],
             "outputs": [{"name": "forecast"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([1234567.891234, 1234567.891234], reply.Body.Output("forecast").Numbers());
    }

    [Fact]
    public async Task Infer_EmptyOutputsList_ReturnsEveryOutput()
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", """
            {"inputs": [
              {"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]},
              {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}],
             "outputs": []}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(["forecast", "lower", "upper", "method"], reply.Body.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()!));
    }

    [Theory]
    // As the protocol's generic parser (every other model's OIP route) refuses them.
    [InlineData("""{"inputs": [{"name": "series", "shape": ["3"], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]}""")]
    [InlineData("""{"inputs": [{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}], "outputs": [{"name": "forecast", "parameters": {"binary_data": {"a": 1}}}]}""")]
    [InlineData("""{"inputs": [{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}], "outputs": [{"name": "forecast", "parameters": {"binary_data": [true]}}]}""")]
    public async Task Infer_NumberAsStringOrNonScalarOutputParameter_Returns400ErrorObject(string json)
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", json);

        reply.AssertOipError(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Infer_TwoSeries_ForecastsEachRow()
    {
        var reply = await _client.PostAsync("/v2/models/forecast/versions/1/infer", """
            {"inputs": [
              {"name": "series", "shape": [2, 3], "datatype": "INT32", "data": [[1, 2, 3], [30, 20, 10]]},
              {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]},
              {"name": "method", "shape": [1], "datatype": "BYTES", "data": ["naive"]}]}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([3d, 3d, 10d, 10d], reply.Body.Output("forecast").Numbers());
        Assert.Equal([2L, 2L, 2L], reply.Body.Output("lower").Shape());
        Assert.Equal(["Naive", "Naive"], reply.Body.Output("method").Strings());
    }

    [Theory]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, "NaN", 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, "-Infinity", 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [-2]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "FP32", "data": [2]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]""")]
    [InlineData("""[{"name": "series", "shape": [0], "datatype": "FP64", "data": []}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]""")]
    [InlineData("""[{"name": "series", "shape": [4], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]""")]
    [InlineData("""[{"name": "series", "shape": [1, 1, 3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "BYTES", "data": ["1", "2", "3"]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}, {"name": "levels", "shape": [1], "datatype": "FP64", "data": [100]}]""")]
    // 0.5 + level / 200 rounds to 1, where the interval's normal quantile is undefined (was a 500).
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}, {"name": "levels", "shape": [1], "datatype": "FP64", "data": [99.99999999999999]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}, {"name": "frequency", "shape": [1], "datatype": "BYTES", "data": ["sometimes"]}]""")]
    [InlineData("""[{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}, {"name": "weather", "shape": [1], "datatype": "BYTES", "data": ["sunny"]}]""")]
    public async Task Infer_InvalidInputs_Returns400ErrorObject(string inputs)
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", $$"""{"inputs": {{inputs}}}""");

        reply.AssertOipError(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("""{"name": "levels", "shape": [1, 2], "datatype": "FP64", "data": [80, 95]}""", "Input 'levels' must have 1 dimension, as its metadata shape [-1] declares; got [1, 2].")]
    [InlineData("""{"name": "levels", "shape": [2, 1], "datatype": "FP64", "data": [[80], [95]]}""", "Input 'levels' must have 1 dimension, as its metadata shape [-1] declares; got [2, 1].")]
    [InlineData("""{"name": "levels", "shape": [2], "datatype": "FP64", "data": [80, 95, 99]}""", "Input 'levels': shape [2] holds 2 elements but 'data' has 3.")]
    [InlineData("""{"name": "method", "shape": [1, 1], "datatype": "BYTES", "data": ["naive"]}""", "Input 'method' must have 1 dimension, as its metadata shape [1] declares; got [1, 1].")]
    [InlineData("""{"name": "frequency", "shape": [], "datatype": "BYTES", "data": ["hourly"]}""", "Input 'frequency' must have 1 dimension, as its metadata shape [1] declares; got [].")]
    public async Task Infer_ShapeOfAnotherRankThanDeclared_Returns400ErrorObject(string input, string expected)
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", $$"""
            {"inputs": [{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}, {{input}}]}
            """);

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Equal(expected, reply.Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Infer_HorizonOfAnotherRankThanDeclared_Returns400ErrorObject()
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", """
            {"inputs": [{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1, 1], "datatype": "INT32", "data": [[2]]}]}
            """);

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Equal("Input 'horizon' must have 1 dimension, as its metadata shape [1] declares; got [1, 1].", reply.Body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("""{"name": "series", "shape": [1, 200000], "datatype": "FP64", "data": [1]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}""", "MaxSeriesLength")]
    [InlineData("""{"name": "series", "shape": [21, 5000], "datatype": "FP64", "data": [1]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}""", "MaxValuesPerRequest")]
    [InlineData("""{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}, {"name": "levels", "shape": [1000000], "datatype": "FP64", "data": [80]}""", "at most 10")]
    [InlineData("""{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1000000], "datatype": "INT32", "data": [2]}""", "must hold one integer")]
    [InlineData("""{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}, {"name": "frequency", "shape": [1000000], "datatype": "BYTES", "data": ["hourly"]}""", "must hold one string")]
    public async Task Infer_DeclaredShapeBeyondAServiceLimit_IsRefusedBeforeItsDataIsRead(string inputs, string expected)
    {
        // The data does not match the shape: only a check on the declared shape gives these answers.
        var reply = await _client.PostAsync("/v2/models/forecast/infer", $$"""{"inputs": [{{inputs}}]}""");

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Contains(expected, reply.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_TenMillionDeclaredPoints_Returns400FromTheTensorLimit()
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", """
            {"inputs": [{"name": "series", "shape": [10000000], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT32", "data": [2]}]}
            """);

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Contains("MaxTensorElements", reply.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_HorizonBeyondMaxHorizon_Returns400ErrorObject()
    {
        var reply = await _client.PostAsync("/v2/models/forecast/infer", """
            {"inputs": [{"name": "series", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "horizon", "shape": [1], "datatype": "INT64", "data": [99999999999]}]}
            """);

        reply.AssertOipError(HttpStatusCode.BadRequest);
        Assert.Contains("MaxHorizon", reply.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
