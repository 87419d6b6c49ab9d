using System.Net;
using System.Text.Json;
using Lattice.Hosting.Tests.Support;

namespace Lattice.Hosting.Tests.Apis;

public sealed class OpenInferenceApiTests(DefaultServerFixture sut) : IClassFixture<DefaultServerFixture>
{
    private readonly HttpClient _client = sut.Client;

    private const string TextRequest = """
        {"id": "req-42", "inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["good positive day", "negative negative"]}]}
        """;

    [Fact]
    public async Task ServerLive_Always_Returns200Live()
    {
        var (status, body, _) = await _client.GetJsonAsync("/v2/health/live");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("live").GetBoolean());
    }

    [Fact]
    public async Task ServerReady_AllModelsLoaded_Returns200Ready()
    {
        var (status, body, _) = await _client.GetJsonAsync("/v2/health/ready");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task ServerMetadata_Get_ReturnsNameVersionAndExtensions()
    {
        var (status, body, _) = await _client.GetJsonAsync("/v2");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("lattice", body.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
        Assert.Equal(JsonValueKind.Array, body.GetProperty("extensions").ValueKind);
    }

    [Fact]
    public async Task ModelMetadata_WithoutVersion_DescribesTensorsAndListsVersions()
    {
        var (status, body, _) = await _client.GetJsonAsync("/v2/models/sentiment");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sentiment", body.GetProperty("name").GetString());
        Assert.Equal(["1", "2"], body.GetProperty("versions").EnumerateArray().Select(v => v.GetString()!));
        Assert.Equal("lattice_keyword-test", body.GetProperty("platform").GetString());
        var input = Assert.Single(body.GetProperty("inputs").EnumerateArray());
        Assert.Equal("text", input.GetProperty("name").GetString());
        Assert.Equal("BYTES", input.GetProperty("datatype").GetString());
        Assert.Equal([-1], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        var outputs = body.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(["label", "score", "probabilities"], outputs.Select(o => o.GetProperty("name").GetString()!));
        Assert.Equal([-1, 2], outputs[2].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
    }

    [Fact]
    public async Task ModelMetadata_NumericModel_DescribesFp32Features()
    {
        var (status, body, _) = await _client.GetJsonAsync("/v2/models/linear/versions/1");

        Assert.Equal(HttpStatusCode.OK, status);
        var input = Assert.Single(body.GetProperty("inputs").EnumerateArray());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1, 3], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal("output", output.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("/v2/models/nope")]
    [InlineData("/v2/models/nope/ready")]
    [InlineData("/v2/models/sentiment/versions/9")]
    [InlineData("/v2/models/sentiment/versions/9/ready")]
    public async Task MetadataAndReady_UnknownModelOrVersion_Returns404ErrorObject(string path)
    {
        var (status, body, response) = await _client.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        AssertErrorShape(body, response);
    }

    [Theory]
    [InlineData("GET", "/v2/models/sentiment/infer", HttpStatusCode.MethodNotAllowed, "POST")]
    [InlineData("GET", "/v2/models/sentiment/versions/1/infer", HttpStatusCode.MethodNotAllowed, "POST")]
    [InlineData("DELETE", "/v2/models/sentiment", HttpStatusCode.MethodNotAllowed, "GET")]
    [InlineData("POST", "/v2/health/ready", HttpStatusCode.MethodNotAllowed, "GET, HEAD")]
    // Routing matches literal segments in any case and allows one trailing slash (POST to these answers 200): so does 405.
    [InlineData("GET", "/v2/models/sentiment/infer/", HttpStatusCode.MethodNotAllowed, "POST")]
    [InlineData("GET", "/v2/Models/sentiment/INFER", HttpStatusCode.MethodNotAllowed, "POST")]
    [InlineData("POST", "/v2/models/sentiment/versions/1/ready/", HttpStatusCode.MethodNotAllowed, "GET, HEAD")]
    [InlineData("POST", "/v2/models/sentiment/metadata", HttpStatusCode.NotFound, null)]
    [InlineData("GET", "/v2/models/", HttpStatusCode.NotFound, null)]
    [InlineData("GET", "/v2/models//infer", HttpStatusCode.NotFound, null)]
    public async Task UnknownEndpointOrMethod_UnderV2_Returns404Or405ErrorObject(string method, string path, HttpStatusCode expected, string? allow)
    {
        var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(expected, response.StatusCode);
        AssertErrorShape(body, response);
        Assert.Equal(allow, response.Content.Headers.Allow.Count == 0 ? null : string.Join(", ", response.Content.Headers.Allow));
    }

    [Theory]
    [InlineData("/v2/models/sentiment/infer")]
    [InlineData("/V2/models/sentiment/versions/1/infer")]
    [InlineData("/v2/unknown")]
    public async Task HeadersOverTheLimit_UnderV2_Return431ErrorObject(string path)
    {
        // Service defaults refuse the head before routing; under /v2 the answer keeps the protocol's error shape.
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(TextRequest) };
        request.Headers.Add("X-Big", new string('a', 40 * 1024)); // over the default 32 KiB, under Kestrel's own twice that

        var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        AssertErrorShape(body, response);
        Assert.Contains("the limit is 32768", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestLineOverTheLimit_UnderV2_Returns414ErrorObject()
    {
        var response = await _client.GetAsync("/v2/models/sentiment?q=" + new string('a', 9 * 1024), TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        AssertErrorShape(body, response);
    }

    [Fact]
    public async Task HeadersOverTheLimit_OnTheTypedApi_Return431Problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sentiment")
        {
            Content = new StringContent("""{"text": "fine"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Big", new string('a', 40 * 1024));

        var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://lattice.dev/problems/headers-too-large", body.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("/v2/models/SENTIMENT")]
    [InlineData("/v2/models/Sentiment/versions/1")]
    [InlineData("/v2/models/sentIment/ready")]
    public async Task ModelPaths_AnyCaseOfTheName_AnswerWithTheNameAsRegistered(string path)
    {
        // As the typed APIs' paths (routing ignores case) and configuration keys: one model, one name in answers.
        var (status, body, _) = await _client.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sentiment", body.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Infer_AnyCaseOfTheName_AnswersWithTheNameAsRegistered()
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/SENTIMENT/infer", TextRequest);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sentiment", body.GetProperty("model_name").GetString());
    }

    [Theory]
    [InlineData("/v2/models/sentiment/ready")]
    [InlineData("/v2/models/sentiment/versions/1/ready")]
    public async Task ModelReady_Loaded_Returns200Ready(string path)
    {
        var (status, body, _) = await _client.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sentiment", body.GetProperty("name").GetString());
        Assert.True(body.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task Infer_BytesWithoutVersion_ReturnsEveryOutputWithShapesDatatypesIdAndVersion()
    {
        var (status, body, response) = await _client.PostAsync("/v2/models/sentiment/infer", TextRequest);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sentiment", body.GetProperty("model_name").GetString());
        Assert.Equal("2", body.GetProperty("model_version").GetString());
        Assert.Equal("2", response.Headers.GetValues("X-Model-Version").Single());
        Assert.Equal("req-42", body.GetProperty("id").GetString());
        var outputs = body.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal("BYTES", outputs["label"].GetProperty("datatype").GetString());
        Assert.Equal(["positive", "negative"], outputs["label"].GetProperty("data").EnumerateArray().Select(d => d.GetString()!));
        Assert.Equal([2], outputs["label"].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal("FP32", outputs["score"].GetProperty("datatype").GetString());
        Assert.Equal([2, 2], outputs["probabilities"].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        var probabilities = outputs["probabilities"].GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
        Assert.Equal(1f, probabilities[0] + probabilities[1], 3);
        Assert.Equal(outputs["score"].GetProperty("data")[0].GetSingle(), probabilities[1]);
    }

    [Fact]
    public async Task Infer_WithVersion_UsesThatVersion()
    {
        var (status, body, response) = await _client.PostAsync("/v2/models/sentiment/versions/1/infer", TextRequest);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", body.GetProperty("model_version").GetString());
        Assert.Equal("explicit", response.Headers.GetValues("X-Lattice-Route").Single());
    }

    [Fact]
    public async Task Infer_WithoutId_OmitsId()
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/sentiment/infer",
            """{"inputs": [{"name": "text", "shape": [1, 1], "datatype": "BYTES", "data": [["positive"]]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("id", out _));
    }

    [Fact]
    public async Task Infer_OutputsSelection_ReturnsOnlyRequestedOutputsInOrder()
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/sentiment/infer",
            """{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["positive"]}], "outputs": [{"name": "score"}, {"name": "label", "parameters": {"binary_data": false}}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["score", "label"], body.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()!));
    }

    [Fact]
    public async Task Infer_EmptyOutputsList_ReturnsEveryOutput()
    {
        var (_, all, _) = await _client.PostAsync("/v2/models/sentiment/infer",
            """{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["positive"]}]}""");
        var (status, body, _) = await _client.PostAsync("/v2/models/sentiment/infer",
            """{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["positive"]}], "outputs": []}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(all.GetProperty("outputs").GetArrayLength() > 1);
        Assert.Equal(
            all.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()!),
            body.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()!));
    }

    [Fact]
    public async Task Infer_ScalarParameters_AreAccepted()
    {
        var (status, _, _) = await _client.PostAsync("/v2/models/sentiment/infer",
            """{"parameters": {"priority": 1, "trace": true, "routing_key": "user-1"}, "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "parameters": {"content_type": "str"}, "data": ["positive"]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("FP32", "[[1, 2, 3], [0.5, 0, -1]]")]
    [InlineData("FP64", "[1.0, 2.0, 3.0, 0.5, 0.0, -1.0]")]
    [InlineData("FP16", "[1, 2, 3, 0.5, 0, -1]")]
    [InlineData("INT32", "[1, 2, 3, 0, 0, -1]")]
    [InlineData("INT64", "[1, 2, 3, 0, 0, -1]")]
    [InlineData("INT8", "[1, 2, 3, 0, 0, -1]")]
    [InlineData("UINT8", "[1, 2, 3, 0, 0, 1]")]
    [InlineData("UINT64", "[1, 2, 3, 0, 0, 1]")]
    [InlineData("BOOL", "[true, false, true, false, false, true]")]
    public async Task Infer_NumericDatatypes_AreConvertedAndScored(string datatype, string data)
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/linear/infer",
            $$"""{"inputs": [{"name": "input", "shape": [2, 3], "datatype": "{{datatype}}", "data": {{data}}}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal("FP32", output.GetProperty("datatype").GetString());
        Assert.Equal([2, 2], output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        var values = output.GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
        var rows = JsonSerializer.Deserialize<JsonElement>(data).EnumerateArray().SelectMany(e => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToArray() : new[] { e })
            .Select(e => e.ValueKind switch { JsonValueKind.True => 1f, JsonValueKind.False => 0f, _ => e.GetSingle() }).ToArray();
        Assert.Equal((1 * rows[0]) + (2 * rows[1]) + (3 * rows[2]), values[0], 3);
        Assert.Equal(-rows[3] + rows[5], values[3], 3);
    }

    [Theory]
    [InlineData("FP32", "3.4028235e38", 3.4028235e38f)] // how .NET writes float.MaxValue: above it as a double, rounds to it
    [InlineData("FP32", "-3.4028235e38", -3.4028235e38f)]
    [InlineData("FP16", "65519", 65519f)] // rounds to Half.MaxValue, so in range (the model takes the FP32 value)
    [InlineData("FP64", "3.4028235e38", 3.4028235e38f)]
    [InlineData("UINT64", "-0", 0f)]
    [InlineData("UINT8", "-0", 0f)]
    public async Task Infer_ValueThatRoundsToAFiniteElement_IsAccepted(string datatype, string first, float expected)
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/linear/infer",
            $$"""{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "{{datatype}}", "data": [{{first}}, 0, 0]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected, body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle());
    }

    [Theory]
    [InlineData("FP32", "3.4028236e38", "FP32 range")]
    [InlineData("FP16", "65520", "FP16 range")]
    [InlineData("FP64", "1e39", "does not fit FP32")]
    public async Task Infer_ValueThatRoundsToInfinity_IsRefused(string datatype, string first, string expected)
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/linear/infer",
            $$"""{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "{{datatype}}", "data": [{{first}}, 0, 0]}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id": "\ud800", "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}""",
        "The body holds a string that is not valid Unicode text (invalid UTF-8, or an escaped unpaired surrogate).")]
    [InlineData("""{"inputs": [{"name": "words", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}""",
        "The model takes exactly one input, 'text' (BYTES, shape [n] or [n, 1]).")]
    [InlineData("""{"inputs": [{"name": "text", "shape": [1], "datatype": "FP32", "data": [1]}]}""",
        "Input 'text' must be BYTES, shape [n] or [n, 1]; got FP32 with shape [1].")]
    [InlineData("""{"inputs": [{"name": "text", "shape": [4611686018427387904, 0], "datatype": "BYTES", "data": []}]}""",
        "Input 'text' must be BYTES, shape [n] or [n, 1]; got BYTES with shape [4611686018427387904, 0].")] // empty, not "too many elements"
    public async Task Infer_BadRequest_ErrorSaysWhatIsWrongPlainly(string json, string expected)
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/sentiment/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(expected, body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/v2/models/sentiment/infer", "application/json; charset=utf-16")]
    [InlineData("/v2/models/sentiment/infer", "application/json; Charset=\"Windows-1252\"")]
    [InlineData("/v2/models/linear/infer", "text/plain; charset=UTF-16LE")]
    public async Task Infer_JsonInAnotherCharset_Returns415Error(string path, string contentType)
    {
        var (status, body, response) = await _client.PostAsync(path, TextRequest, contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.StartsWith("Only UTF-8 JSON is accepted", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(body.TryGetProperty("type", out _)); // the protocol's {"error"} shape, not ProblemDetails
        Assert.False(response.Headers.Contains("Accept-Encoding"));
    }

    [Fact]
    public async Task Infer_SingleRowShape_IsOneItem()
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/linear/infer",
            """{"inputs": [{"name": "input", "shape": [3], "datatype": "FP32", "data": [1, 1, 1]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([6f, 0f], body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(d => d.GetSingle()));
    }

    [Theory]
    [InlineData("sentiment", "{\"inputs\": [")]
    [InlineData("sentiment", "[]")]
    [InlineData("sentiment", "{}")]
    [InlineData("sentiment", "{\"inputs\": []}")]
    [InlineData("sentiment", "{\"inputs\": null}")]
    [InlineData("sentiment", "{\"inputs\": [null]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": null, \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}], \"outputs\": [null]}")]
    [InlineData("sentiment", "{\"id\": 42, \"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [2], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\", \"b\"]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [1]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"words\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"STRING\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [-1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": \"a\"}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\"}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [0], \"datatype\": \"BYTES\", \"data\": []}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}], \"outputs\": [{\"name\": \"logits\"}]}")]
    [InlineData("sentiment", "{\"parameters\": {\"nested\": {\"a\": 1}}, \"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"INT32\", \"data\": [1, 2.5, 3]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"INT8\", \"data\": [1, 200, 3]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"UINT32\", \"data\": [1, -2, 3]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"BOOL\", \"data\": [1, 0, 1]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, \"NaN\", 3]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 1e39, 3]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, \"x\", 3]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4]}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"BYTES\", \"data\": [\"1\", \"2\", \"3\"]}]}")]
    // A member given twice is ambiguous, in either order.
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}], \"inputs\": []}")]
    [InlineData("sentiment", "{\"inputs\": [], \"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"id\": \"a\", \"id\": \"b\", \"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"outputs\": [], \"outputs\": [], \"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    [InlineData("sentiment", "{\"parameters\": {}, \"parameters\": {}, \"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}")]
    public async Task Infer_BadInput_Returns400ErrorObject(string model, string json)
    {
        var (status, body, response) = await _client.PostAsync($"/v2/models/{model}/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertErrorShape(body, response);
    }

    [Theory]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [2, 4611686019501129728], \"datatype\": \"BYTES\", \"data\": []}]}")]
    [InlineData("sentiment", "{\"inputs\": [{\"name\": \"text\", \"shape\": [4611686019501129728, 2], \"datatype\": \"BYTES\", \"data\": []}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [2, 4611686019501129728], \"datatype\": \"FP32\", \"data\": []}]}")]
    [InlineData("linear", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}, {\"name\": \"x\", \"shape\": [2, 4611686018427387904], \"datatype\": \"FP32\", \"data\": []}]}")]
    public Task Infer_ShapeWhoseElementCountOverflows_Returns400ErrorObject(string model, string json) =>
        AssertRefusedAsync(model, json, "MaxTensorElements");

    [Theory]
    [InlineData("1e300")]
    [InlineData("-1e39")]
    [InlineData("3.5e38")]
    public Task Infer_Fp64BeyondTheFp32TheModelTakes_Returns400ErrorObject(string value) =>
        AssertRefusedAsync("linear", $$"""{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP64", "data": [1, {{value}}, 3]}]}""", "FP32");

    [Fact]
    public async Task Infer_Fp64WithinFp32Range_IsScored()
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/linear/infer",
            """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP64", "data": [1e30, 0, -1e-300]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1e30f, body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle(), 1e25f);
    }

    [Theory]
    [InlineData("sentiment", "[2, 1]", "[[\"a\"], [\"b\"]]", true)]
    [InlineData("sentiment", "[2, 1]", "[\"a\", \"b\"]", true)]
    [InlineData("sentiment", "[2]", "[\"a\", \"b\"]", true)]
    [InlineData("linear", "[2, 3]", "[1, 2, 3, 4, 5, 6]", true)]
    [InlineData("linear", "[1, 3]", "[[1, 2, 3]]", true)]
    [InlineData("linear", "[3]", "[1, 2, 3]", true)]
    [InlineData("sentiment", "[2]", "[[\"a\", \"b\"]]", false)]
    [InlineData("sentiment", "[2, 1]", "[[\"a\", \"b\"]]", false)]
    [InlineData("sentiment", "[2, 1]", "[[\"a\"], \"b\"]", false)]
    [InlineData("sentiment", "[2, 1]", "[\"a\", [\"b\"]]", false)]
    [InlineData("sentiment", "[2, 1]", "[[[\"a\"]], [[\"b\"]]]", false)]
    [InlineData("linear", "[2, 3]", "[[1, 2], [3, 4, 5, 6]]", false)]
    [InlineData("linear", "[2, 3]", "[[1, 2, 3, 4, 5, 6]]", false)]
    [InlineData("linear", "[2, 3]", "[[1, 2, 3], [4, 5, 6], []]", false)]
    [InlineData("linear", "[3]", "[[1, 2, 3]]", false)]
    public async Task Infer_Data_IsFlatOrNestedExactlyAsTheShapeElse400(string model, string shape, string data, bool valid)
    {
        var (name, datatype) = model == "sentiment" ? ("text", "BYTES") : ("input", "FP32");
        var json = $$"""{"inputs": [{"name": "{{name}}", "shape": {{shape}}, "datatype": "{{datatype}}", "data": {{data}}}]}""";

        if (valid)
        {
            Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync($"/v2/models/{model}/infer", json)).Status);
        }
        else
        {
            await AssertRefusedAsync(model, json, "nesting");
        }
    }

    [Theory]
    [InlineData(3, 0)]
    [InlineData(40, 2)] // past the short list: the names are then kept in a set
    public Task Infer_DuplicateRequestedOutputs_Returns400ErrorObject(int distinct, int repeated)
    {
        var outputs = string.Join(", ", Enumerable.Range(0, distinct).Select(i => $$"""{"name": "out{{i}}"}""").Append($$"""{"name": "out{{repeated}}"}"""));
        return AssertRefusedAsync("sentiment",
            $$"""{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["positive"]}], "outputs": [{{outputs}}]}""",
            $"'out{repeated}' is requested more than once");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/octet-stream")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-8")]
    public async Task Infer_AnyOrNoContentType_ParsesTheBodyAsJson(string? contentType)
    {
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(TextRequest));
        content.Headers.ContentType = contentType is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/sentiment/versions/1/infer") { Content = content };

        var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", body.GetProperty("model_version").GetString());
    }

    [Theory]
    [InlineData("/v2/health/live", HttpStatusCode.OK)]
    [InlineData("/v2/health/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/sentiment/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/sentiment/versions/1/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/nope/ready", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/sentiment/versions/9/ready", HttpStatusCode.NotFound)]
    public async Task HealthAndReady_Head_AnswersLikeGetWithoutABody(string path, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, path);

        var head = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        var get = await _client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(expected, head.StatusCode);
        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task OpenApi_OipOperations_DocumentTheJsonBodyAndEveryErrorStatus()
    {
        var (status, body, _) = await _client.GetJsonAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, status);
        var paths = body.GetProperty("paths");
        static IEnumerable<string> Responses(JsonElement operation) => operation.GetProperty("responses").EnumerateObject().Select(r => r.Name);
        foreach (var path in new[] { "/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer" })
        {
            var infer = paths.GetProperty(path).GetProperty("post");
            var json = infer.GetProperty("requestBody").GetProperty("content").GetProperty("application/json");
            Assert.EndsWith("/InferenceRequest", json.GetProperty("schema").GetProperty("$ref").GetString(), StringComparison.Ordinal);
            Assert.Superset(new HashSet<string> { "200", "400", "404", "413", "429", "500", "503" }, Responses(infer).ToHashSet());
        }

        Assert.Contains("503", Responses(paths.GetProperty("/v2/health/ready").GetProperty("get")));
        Assert.Contains("503", Responses(paths.GetProperty("/v2/models/{model}/ready").GetProperty("get")));
        Assert.False(paths.GetProperty("/v2/health/live").TryGetProperty("head", out _));
    }

    [Fact]
    public async Task Infer_EmptyBody_Returns400ErrorObject()
    {
        var (status, body, response) = await _client.PostAsync("/v2/models/sentiment/infer", "");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertErrorShape(body, response);
    }

    [Theory]
    [InlineData("/v2/models/nope/infer")]
    [InlineData("/v2/models/sentiment/versions/9/infer")]
    public async Task Infer_UnknownModelOrVersion_Returns404ErrorObject(string path)
    {
        var (status, body, response) = await _client.PostAsync(path, TextRequest);

        Assert.Equal(HttpStatusCode.NotFound, status);
        AssertErrorShape(body, response);
    }

    [Fact]
    public async Task Infer_ResponseDeserializesIntoContracts()
    {
        using var content = new StringContent(TextRequest, System.Text.Encoding.UTF8, "application/json");
        var response = await _client.PostAsync("/v2/models/sentiment/infer", content, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        var parsed = JsonSerializer.Deserialize(body, Lattice.Contracts.ContractsJsonContext.Default.InferenceResponse);

        Assert.NotNull(parsed);
        Assert.Equal("sentiment", parsed.ModelName);
        Assert.Equal(3, parsed.Outputs.Count);
    }

    /// <summary>Posts an infer request and asserts a 400 <c>{"error"}</c> whose message mentions <paramref name="mentions"/>.</summary>
    private async Task AssertRefusedAsync(string model, string json, string mentions)
    {
        var (status, body, response) = await _client.PostAsync($"/v2/models/{model}/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertErrorShape(body, response);
        Assert.Contains(mentions, body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    internal static void AssertErrorShape(JsonElement body, HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        var property = Assert.Single(body.EnumerateObject());
        Assert.Equal("error", property.Name);
        Assert.False(string.IsNullOrWhiteSpace(property.Value.GetString()));
    }
}
