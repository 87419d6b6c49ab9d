using System.Net;
using System.Text;
using System.Text.Json;
using Lattice.Hosting.Tests.Support;
using Lattice.Hosting.Tests.Typed;
using Lattice.ServiceDefaults.Problems;
using Lattice.Testing;

namespace Lattice.Hosting.Tests.Apis;

/// <summary>
/// Request bodies in gzip, deflate or br are decoded on every API of the model server (the text classifier's typed
/// API, the generic OIP, a typed model's endpoint and its tensor contract), under the same body limit; a coding the
/// server does not decode is a 415, bytes that are not of their coding a 400, each in the API's own error shape.
/// </summary>
public sealed class ContentEncodingTests(GreeterFixture greeter) : IClassFixture<GreeterFixture>, IAsyncLifetime
{
    private const int Limit = 4000;
    private ModelServerApp _sut = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Limits:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _client = _sut.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _sut.DisposeAsync();
    }

    /// <summary>Endpoint (text classifier server or greeter server), path, request, and whether errors are OIP-shaped.</summary>
    public static TheoryData<string, string, string, bool> Endpoints() => new()
    {
        { "classifier", "/v1/sentiment", """{"text": "What a wonderful film"}""", false },
        { "classifier", "/v2/models/sentiment/infer", """{"id": "r1", "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["What a wonderful film"]}]}""", true },
        { "greeter", "/v1/greet", """{"name": "Ada"}""", false },
        { "greeter", "/v2/models/greeter/infer", TypedModelTests.TensorRequest, true },
    };

    private HttpClient Client(string server) => server == "greeter" ? greeter.Client : _client;

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpClient client, string path, HttpContent content)
    {
        using (content)
        {
            var response = await client.PostAsync(path, content, TestContext.Current.CancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), response);
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task CompressedBody_InEverySupportedCoding_AnswersAsThePlainOne(string server, string path, string json, bool oip)
    {
        _ = oip;
        var client = Client(server);
        var (plainStatus, plain, _) = await SendAsync(client, path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, plainStatus);

        foreach (var codings in new[] { ["gzip"], ["deflate"], ["raw-deflate"], ["br"], new[] { "gzip", "br" } })
        {
            var (status, body, _) = await SendAsync(client, path, CompressedBody.Json(json, codings));

            Assert.True(HttpStatusCode.OK == status, $"{string.Join(", ", codings)}: {(int)status} {body}");
            Assert.Equal(WithoutId(plain), WithoutId(body));
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task UnsupportedCoding_Returns415NamingTheSupportedOnes(string server, string path, string json, bool oip)
    {
        var (status, body, response) = await SendAsync(Client(server), path, CompressedBody.Labelled(Encoding.UTF8.GetBytes(json), "zstd"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("gzip, deflate, br", string.Join(", ", response.Headers.GetValues("Accept-Encoding")));
        var message = AssertErrorShape(body, response, oip, ProblemTypes.UnsupportedMediaType, "Unsupported content encoding");
        Assert.Contains("'zstd' is not supported", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task BytesNotOfTheirCoding_Return400(string server, string path, string json, bool oip)
    {
        var (status, body, response) = await SendAsync(Client(server), path, CompressedBody.Labelled(Encoding.UTF8.GetBytes(json), "gzip"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = AssertErrorShape(body, response, oip, ModelServerProblemTypes.InvalidInput, "Invalid input");
        Assert.Contains("not valid gzip data", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task SmallBodyExpandingPastTheLimit_Returns413(string server, string path, string json, bool oip)
    {
        // Whitespace after the object: valid JSON, far past both servers' limits (4,000 bytes and the greeter's 1 MiB).
        var padded = json + new string(' ', 2 << 20);

        var (status, body, response) = await SendAsync(Client(server), path, CompressedBody.Json(padded, ["gzip"]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        var message = AssertErrorShape(body, response, oip, ProblemTypes.PayloadTooLarge, "Request body too large");
        Assert.Contains("once decompressed", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecodedBody_IsBoundedByTheLimit_NotTheCompressedSize()
    {
        var path = "/v1/sentiment";
        var fits = $$"""{"text": "good"}""" + new string(' ', Limit - 20);
        var over = fits + new string(' ', 100);

        var (fitsStatus, _, _) = await SendAsync(_client, path, CompressedBody.Json(fits, ["gzip"]));
        var (overStatus, _, _) = await SendAsync(_client, path, CompressedBody.Json(over, ["gzip"]));

        Assert.Equal(HttpStatusCode.OK, fitsStatus);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overStatus);
    }

    [Fact]
    public async Task RefusedBodies_AreCountedAsErrorsOfTheirKind()
    {
        string[] badInput = ["kind=\"bad_input\"", "model=\"sentiment\""];
        var before = await _client.MetricValueAsync("lattice_hosting_errors_total", badInput);

        await SendAsync(_client, "/v1/sentiment", CompressedBody.Labelled("{}"u8.ToArray(), "zstd"));
        await SendAsync(_client, "/v2/models/sentiment/infer", CompressedBody.Labelled("{}"u8.ToArray(), "br"));

        Assert.Equal(before + 2, await _client.MetricValueAsync("lattice_hosting_errors_total", badInput));
    }

    private static string AssertErrorShape(string body, HttpResponseMessage response, bool oip, string problemType, string title)
    {
        var root = JsonDocument.Parse(body).RootElement;
        if (oip)
        {
            OpenInferenceApiTests.AssertErrorShape(root, response);
            return root.GetProperty("error").GetString()!;
        }

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(problemType, root.GetProperty("type").GetString());
        Assert.Equal(title, root.GetProperty("title").GetString());
        return root.GetProperty("detail").GetString()!;
    }

    /// <summary>The answer without the fields that differ per request (a generated id when the request has none).</summary>
    private static string WithoutId(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove("id");
        return node.ToJsonString();
    }
}
