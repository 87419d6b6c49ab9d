using System.Net;
using Lattice.Hosting.Tests.Apis;
using Lattice.Hosting.Tests.Support;
using Lattice.ServiceDefaults.Problems;

namespace Lattice.Hosting.Tests.Typed;

public sealed class TypedModelRequestTests(GreeterFixture fixture) : IClassFixture<GreeterFixture>
{
    private const string TensorRequest = TypedModelTests.TensorRequest;

    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Invoke_DefaultPolicy_HighestVersionAnswersWithItsVersionInBodyAndHeaders()
    {
        var (status, body, response) = await _client.PostAsync("/v1/greet", """{"name": "Ada"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["Bonjour, Ada"], body.GetProperty("greetings").EnumerateArray().Select(g => g.GetString()!));
        Assert.Equal("2", body.GetProperty("version").GetString());
        Assert.Equal("2", response.Headers.GetValues("X-Model-Version").Single());
        Assert.Equal("default", response.Headers.GetValues("X-Lattice-Route").Single());
    }

    [Fact]
    public async Task Invoke_VersionQuery_PinsTheVersion_AnUnknownOneIs404_AnEmptyOneNothing()
    {
        var (pinnedStatus, pinned, pinnedResponse) = await _client.PostAsync("/v1/greet?version=1", """{"name": "Ada"}""");
        var (missingStatus, missing, _) = await _client.PostAsync("/v1/greet?version=9", """{"name": "Ada"}""");
        var (emptyStatus, empty, emptyResponse) = await _client.PostAsync("/v1/greet?version=", """{"name": "Ada"}""");

        Assert.Equal(HttpStatusCode.OK, pinnedStatus);
        Assert.Equal("Hello, Ada", pinned.GetProperty("greetings")[0].GetString());
        Assert.Equal("explicit", pinnedResponse.Headers.GetValues("X-Lattice-Route").Single());
        Assert.Equal(HttpStatusCode.NotFound, missingStatus);
        Assert.Equal(ModelServerProblemTypes.VersionNotFound, missing.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, emptyStatus); // an empty ?version= pins nothing
        Assert.Equal("2", empty.GetProperty("version").GetString());
        Assert.Equal("default", emptyResponse.Headers.GetValues("X-Lattice-Route").Single());
    }

    [Theory]
    [InlineData("", "invalid-input")]
    [InlineData("""{"name": 5}""", "invalid-input")]
    [InlineData("""{"name": "Ada"} {}""", "invalid-input")]
    [InlineData("""{"names": []}""", "invalid-input")]
    [InlineData("""{"name": "Ada", "deep": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}""", "limit-exceeded")]
    public async Task ReadJson_BadBody_Returns400WithAStableType(string json, string type)
    {
        var (status, body, _) = await _client.PostAsync("/v1/greet", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ProblemTypes.BaseUri + type, body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Invoke_ModelThrows_Returns500ProblemAndCountsAnInternalError()
    {
        string[] internalErrors = ["kind=\"internal\"", "model=\"greeter\"", "version=\"2\""];
        var before = await _client.MetricValueAsync("lattice_hosting_errors_total", internalErrors);

        var (status, body, _) = await _client.PostAsync("/v1/greet", $$"""{"name": "{{Greeter.ExplodingName}}"}""");
        var after = await _client.PostAsync("/v1/greet", """{"name": "Ada"}""");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(ProblemTypes.Internal, body.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal(before + 1, await _client.MetricValueAsync("lattice_hosting_errors_total", internalErrors));
    }

    [Theory]
    [InlineData(Greeter.ExplodingName)] // the model throws
    [InlineData(Greeter.UnwritableName)] // the contract throws while writing the answer
    public async Task Tensor_ModelOrContractFails_Returns500ErrorObjectAndCountsAnInternalError(string name)
    {
        string[] internalErrors = ["kind=\"internal\"", "model=\"greeter\"", "version=\"1\""];
        var before = await _client.MetricValueAsync("lattice_hosting_errors_total", internalErrors);

        var (status, body, response) = await _client.PostAsync("/v2/models/greeter/versions/1/infer",
            $$"""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["{{name}}"]}]}""");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        OpenInferenceApiTests.AssertErrorShape(body, response);
        Assert.DoesNotContain("on purpose", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("X-Model-Version"));
        Assert.Equal(before + 1, await _client.MetricValueAsync("lattice_hosting_errors_total", internalErrors)); // the server is shared: count this call's error
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "name", "shape": [2, 4611686019501129728], "datatype": "BYTES", "data": []}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [4, 4611686018427387904], "datatype": "BYTES", "data": []}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [2], "datatype": "BYTES", "data": [["Ada", "Bob"]]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [2, 1], "datatype": "BYTES", "data": [["Ada", "Bob"]]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [2, 1], "datatype": "BYTES", "data": [["Ada"], "Bob"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}], "outputs": [{"name": "length"}, {"name": "length"}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["\ud800"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}], "parameters": {"routing_key": "\udc00"}}""")]
    public async Task Tensor_OverflowingShapeMisnestedDataDuplicateOutputsOrBrokenText_Returns400ErrorObject(string json)
    {
        var (status, body, response) = await _client.PostAsync("/v2/models/greeter/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        OpenInferenceApiTests.AssertErrorShape(body, response);
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "name", "shape": [2, 1], "datatype": "BYTES", "data": [["Ada"], ["Bob"]]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [2, 1], "datatype": "BYTES", "data": ["Ada", "Bob"]}]}""")]
    public async Task Tensor_DataFlatOrNestedExactlyAsTheShape_IsAccepted(string json)
    {
        var (status, body, _) = await _client.PostAsync("/v2/models/greeter/infer", json);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["Bonjour, Ada", "Bonjour, Bob"], body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(d => d.GetString()!));
    }

    [Fact]
    public async Task Tensor_NoContentType_ParsesTheBodyAsJson()
    {
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(TensorRequest));
        var response = await _client.PostAsync("/v2/models/greeter/infer", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Tensor_Metadata_DescribesTheContractAndTheLoadedVersions()
    {
        var (status, body, _) = await _client.GetJsonAsync("/v2/models/greeter");
        var (versionStatus, _, _) = await _client.GetJsonAsync("/v2/models/greeter/versions/1");
        var (missingStatus, missing, missingResponse) = await _client.GetJsonAsync("/v2/models/greeter/versions/9");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["1", "2"], body.GetProperty("versions").EnumerateArray().Select(v => v.GetString()!));
        Assert.Equal("lattice_greeter-test", body.GetProperty("platform").GetString());
        Assert.Equal(["name"], body.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
        Assert.Equal(["greeting", "length"], body.GetProperty("outputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
        Assert.Equal(HttpStatusCode.OK, versionStatus);
        Assert.Equal(HttpStatusCode.NotFound, missingStatus);
        OpenInferenceApiTests.AssertErrorShape(missing, missingResponse);
    }

    [Fact]
    public async Task Tensor_Infer_BindsRunsAndWritesTheRequestedOutputs()
    {
        var (status, body, response) = await _client.PostAsync("/v2/models/greeter/versions/1/infer", TensorRequest);
        var (selectedStatus, selected, _) = await _client.PostAsync("/v2/models/greeter/infer",
            """{"inputs": [{"name": "name", "shape": [1, 1], "datatype": "BYTES", "data": [["Cy"]]}], "outputs": [{"name": "length"}], "parameters": {"routing_key": "k", "other": 1}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("greeter", body.GetProperty("model_name").GetString());
        Assert.Equal("1", body.GetProperty("model_version").GetString());
        Assert.Equal("t-1", body.GetProperty("id").GetString());
        Assert.Equal("1", response.Headers.GetValues("X-Model-Version").Single());
        var greeting = body.GetProperty("outputs")[0];
        Assert.Equal("greeting", greeting.GetProperty("name").GetString());
        Assert.Equal([2], greeting.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(["Hello, Ada", "Hello, Bob"], greeting.GetProperty("data").EnumerateArray().Select(d => d.GetString()!));
        Assert.Equal(HttpStatusCode.OK, selectedStatus);
        var length = Assert.Single(selected.GetProperty("outputs").EnumerateArray());
        Assert.Equal("INT32", length.GetProperty("datatype").GetString());
        Assert.Equal(11, length.GetProperty("data")[0].GetInt32());
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}], "outputs": [{"name": "shout"}]}""")]
    [InlineData("""{"inputs": [{"name": "nom", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}, {"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Bob"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [3], "datatype": "BYTES", "data": ["Ada", "Bob"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada", "Bob"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "INT32", "data": [1]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "COMPLEX", "data": [1]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [-1], "datatype": "BYTES", "data": []}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": "Ada"}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}], "parameters": {"routing_key": ["k"]}}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"], "parameters": {"x": {"y": 1}}}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [2000000], "datatype": "BYTES", "data": ["Ada"]}]}""")]
    [InlineData("""{"inputs": {}}""")]
    [InlineData("""{"inputs": null}""")]
    [InlineData("""{"inputs": [null]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": null, "datatype": "BYTES", "data": ["Ada"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": null, "data": ["Ada"]}]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}], "outputs": [null]}""")]
    [InlineData("""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["Ada"]}], "outputs": [{"name": null}]}""")]
    [InlineData("""{}""")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task Tensor_InvalidRequest_Returns400ErrorObject(string json)
    {
        var (status, body, response) = await _client.PostAsync("/v2/models/greeter/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        OpenInferenceApiTests.AssertErrorShape(body, response);
    }
}
