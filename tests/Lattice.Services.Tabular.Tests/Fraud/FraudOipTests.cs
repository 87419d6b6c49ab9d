using System.Globalization;
using System.Net;
using Lattice.Services.Tabular.Tests.Support;

namespace Lattice.Services.Tabular.Tests.Fraud;

public sealed class FraudOipTests(FraudFixture fixture) : IClassFixture<FraudFixture>
{
    /// <summary><see cref="FraudApiTests.StolenCard"/> encoded: amount in USD, amount / average, hour, card age, velocity, distance, card present, foreign, high-risk country, one-hot category (electronics is the 5th).</summary>
    private static readonly float[] StolenCardRow = [1899f, 1899f / 60, 3, 12, 9, 9500, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Metadata_DescribesTheEncodedRowAndTheProbability()
    {
        var reply = await _client.GetJsonAsync("/v2/models/fraud");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var input = Assert.Single(reply.Body.GetProperty("inputs").EnumerateArray());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 22L], input.Shape());
        Assert.Equal("output", Assert.Single(reply.Body.GetProperty("outputs").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal("lattice_gradient-boosted-trees", reply.Body.GetProperty("platform").GetString());
    }

    [Fact]
    public async Task Infer_EncodedRow_GivesTheTypedApisScore()
    {
        var typed = await _client.PostAsync("/v1/fraud:score", FraudApiTests.StolenCard);
        var oip = await _client.PostAsync("/v2/models/fraud/infer", Request(StolenCardRow, StolenCardRow));

        Assert.Equal(HttpStatusCode.OK, oip.Status);
        Assert.Equal("1", oip.Body.GetProperty("model_version").GetString());
        var output = oip.Body.Output("output");
        Assert.Equal([2L, 1L], output.Shape());
        var scores = output.Numbers();
        Assert.All(scores, s => Assert.Equal(typed.Body.GetProperty("score").GetDouble(), s, 5));
    }

    [Theory]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("\"-inf\"")]
    [InlineData("\"12\"")]
    [InlineData("true")]
    [InlineData("1e39")]
    public async Task Infer_NonFiniteOrNonNumericValue_Returns400ErrorObject(string value)
    {
        var data = string.Join(", ", StolenCardRow.Skip(1).Select(v => v.ToString(CultureInfo.InvariantCulture)));
        var json = $$"""{"inputs": [{"name": "input", "shape": [1, 22], "datatype": "FP32", "data": [{{value}}, {{data}}]}]}""";

        var reply = await _client.PostAsync("/v2/models/fraud/infer", json);

        reply.AssertOipError(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("[1, 21]")]
    [InlineData("[22, 1]")]
    [InlineData("[2, 22]")]
    public async Task Infer_WrongShape_Returns400ErrorObject(string shape)
    {
        var json = $$"""{"inputs": [{"name": "input", "shape": {{shape}}, "datatype": "FP32", "data": [{{string.Join(", ", StolenCardRow)}}]}]}""";

        var reply = await _client.PostAsync("/v2/models/fraud/infer", json);

        reply.AssertOipError(HttpStatusCode.BadRequest);
    }

    private static string Request(params float[][] rows) =>
        $$"""{"inputs": [{"name": "input", "shape": [{{rows.Length}}, 22], "datatype": "FP32", "data": [{{string.Join(", ", rows.Select(r => "[" + string.Join(", ", r.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]"))}}]}]}""";
}
