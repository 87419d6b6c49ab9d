using System.Net;
using System.Text;
using Lattice.Hosting.Tests.Support;
using Lattice.ServiceDefaults.Problems;

namespace Lattice.Hosting.Tests.Apis;

/// <summary>Every limit gives a 4xx on both APIs: ProblemDetails on the typed API, <c>{"error"}</c> on the OIP.</summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private ModelServerApp _sut = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Limits:MaxRequestBodyBytes"] = "2000",
            ["Lattice:ModelServer:Limits:MaxTextLength"] = "50",
            ["Lattice:ModelServer:Limits:MaxBatchSize"] = "4",
            ["Lattice:ModelServer:Limits:MaxTensorElements"] = "12",
            ["Lattice:ModelServer:Limits:MaxJsonDepth"] = "5",
        });
        _client = _sut.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _sut.DisposeAsync();
    }

    private static string Texts(int count, int length = 3) =>
        "[" + string.Join(", ", Enumerable.Repeat("\"" + new string('a', length) + "\"", count)) + "]";

    public static TheoryData<string, string, int> TypedCases() => new()
    {
        { "/v1/sentiment", $$"""{"text": "{{new string('a', 3000)}}"}""", 413 },
        { "/v1/sentiment", $$"""{"text": "{{new string('a', 51)}}"}""", 400 },
        { "/v1/sentiment:batch", $$"""{"texts": {{Texts(5)}}}""", 400 },
        { "/v1/sentiment:batch", $$"""{"texts": ["ok", "{{new string('a', 51)}}"]}""", 400 },
        { "/v1/sentiment", """{"text": "a", "x": [[[[[[1]]]]]]}""", 400 },
    };

    [Theory]
    [MemberData(nameof(TypedCases))]
    public async Task TypedApi_LimitCrossed_Returns4xxProblemDetails(string path, string json, int expected)
    {
        var (status, body, response) = await _client.PostAsync(path, json);

        Assert.Equal(expected, (int)status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected == 413 ? ProblemTypes.PayloadTooLarge : ModelServerProblemTypes.LimitExceeded, body.GetProperty("type").GetString());
        Assert.Equal(expected == 413 ? "Request body too large" : "Limit exceeded", body.GetProperty("title").GetString());
        Assert.Contains("limit", body.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string, string, int> OipCases() => new()
    {
        { "sentiment", $$"""{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["{{new string('a', 3000)}}"]}]}""", 413 },
        { "sentiment", $$"""{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["{{new string('a', 51)}}"]}]}""", 400 },
        { "sentiment", $$"""{"inputs": [{"name": "text", "shape": [5], "datatype": "BYTES", "data": {{Texts(5)}}}]}""", 400 },
        { "linear", """{"inputs": [{"name": "input", "shape": [5, 3], "datatype": "FP32", "data": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}]}""", 400 },
        { "linear", """{"inputs": [{"name": "input", "shape": [1000000, 3], "datatype": "FP32", "data": [1]}]}""", 400 },
        { "linear", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [[[[[[1, 2, 3]]]]]]}]}""", 400 },
    };

    [Theory]
    [MemberData(nameof(OipCases))]
    public async Task Oip_LimitCrossed_Returns4xxErrorObject(string model, string json, int expected)
    {
        var (status, body, response) = await _client.PostAsync($"/v2/models/{model}/infer", json);

        Assert.Equal(expected, (int)status);
        OpenInferenceApiTests.AssertErrorShape(body, response);
    }

    [Fact]
    public async Task Oip_ChunkedBodyOverLimit_Returns413()
    {
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string(' ', 5000) + "{}")));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/sentiment/infer") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
