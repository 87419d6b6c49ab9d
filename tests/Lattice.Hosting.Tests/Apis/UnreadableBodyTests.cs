using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Lattice.Hosting.Tests.Support;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lattice.Hosting.Tests.Apis;

/// <summary>
/// A body Kestrel cannot read to its end (too slow, broken chunked framing) is refused in each API's own error shape:
/// <c>{"error"}</c> on the OIP, ProblemDetails with a title that matches the status on the typed API.
/// </summary>
public sealed class UnreadableBodyTests : IAsyncLifetime
{
    private const string InferJson = """{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["positive"]}]}""";
    private ModelServerApp _sut = null!;

    public async ValueTask InitializeAsync() =>
        _sut = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), configure: builder =>
            builder.WebHost.ConfigureKestrel(kestrel =>
                // The default grace period is 5 s; the shortest Kestrel accepts keeps the slow-body tests fast.
                kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(1.5))));

    public ValueTask DisposeAsync() => _sut.DisposeAsync();

    [Theory]
    [InlineData("/v2/models/sentiment/infer")]
    [InlineData("/v2/models/sentiment/versions/2/infer")]
    public async Task Oip_BodyThatStopsBeforeItsContentLength_Is408InTheOipShape(string path)
    {
        var (status, contentType, body) = await SendAsync(path, StoppedBody(InferJson));

        Assert.Equal(408, status);
        Assert.StartsWith("application/json", contentType, StringComparison.Ordinal);
        Assert.Contains("did not arrive in time", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oip_BrokenChunkedFraming_Is400InTheOipShape()
    {
        var (status, contentType, body) = await SendAsync("/v2/models/sentiment/infer", BrokenChunks(InferJson));

        Assert.Equal(400, status);
        Assert.StartsWith("application/json", contentType, StringComparison.Ordinal);
        Assert.Contains("chunk", body.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Typed_BodyThatStopsBeforeItsContentLength_Is408ProblemTitledAsATimeout()
    {
        var (status, contentType, body) = await SendAsync("/v1/sentiment", StoppedBody("""{"text": "positive"}"""));

        Assert.Equal(408, status);
        Assert.StartsWith("application/problem+json", contentType, StringComparison.Ordinal);
        Assert.Equal(408, body.GetProperty("status").GetInt32());
        Assert.Equal("Request timeout", body.GetProperty("title").GetString());
        Assert.Equal(ProblemTypes.RequestTimeout, body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Typed_BrokenChunkedFraming_Is400Problem()
    {
        var (status, contentType, body) = await SendAsync("/v1/sentiment", BrokenChunks("""{"text": "positive"}"""));

        Assert.Equal(400, status);
        Assert.StartsWith("application/problem+json", contentType, StringComparison.Ordinal);
        Assert.Contains("chunk", body.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Headers that promise 100 bytes more than the 11 sent; the client then waits.</summary>
    private static Func<string, string> StoppedBody(string json) => path =>
        $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {json.Length + 100}\r\n\r\n{json[..11]}";

    /// <summary>A first chunk, then a chunk size that is not hexadecimal.</summary>
    private static Func<string, string> BrokenChunks(string json) => path =>
        $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{11:x}\r\n{json[..11]}\r\nZZ\r\n";

    /// <summary>Sends a raw request and reads the answer until the server closes the connection or the body is complete.</summary>
    private async Task<(int Status, string ContentType, JsonElement Body)> SendAsync(string path, Func<string, string> request)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_sut.App.BaseAddress.Host, _sut.App.BaseAddress.Port, timeout.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request(path)), timeout.Token);

        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (!TryParse(received.ToArray(), out _) && await socket.ReceiveAsync(buffer, timeout.Token) is var read and > 0)
        {
            received.Write(buffer, 0, read);
        }

        Assert.True(TryParse(received.ToArray(), out var answer), "a complete answer: " + Encoding.UTF8.GetString(received.ToArray()));
        return answer;
    }

    private static bool TryParse(byte[] bytes, out (int Status, string ContentType, JsonElement Body) answer)
    {
        answer = default;
        var text = Encoding.UTF8.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var headers = text[..end].Split("\r\n");
        string? Header(string name) => headers.Skip(1)
            .Where(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(h => h[(name.Length + 1)..].Trim()).FirstOrDefault();
        var body = text[(end + 4)..];
        if (Header("Transfer-Encoding") == "chunked")
        {
            if (!body.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
            {
                return false;
            }

            body = Dechunk(body);
        }
        else if (!int.TryParse(Header("Content-Length"), out var length) || Encoding.UTF8.GetByteCount(body) < length)
        {
            return false;
        }

        answer = (int.Parse(headers[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), Header("Content-Type") ?? "",
            JsonDocument.Parse(body).RootElement.Clone());
        return true;
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var line = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked[at..line], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, line + 2, size); // the answers here are ASCII: characters are bytes
            at = line + 2 + size + 2;
        }
    }
}
