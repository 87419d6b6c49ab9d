using System.Net;
using Lattice.Cli.Commands;
using Lattice.Cli.Tests.Support;

namespace Lattice.Cli.Tests.Commands;

/// <summary>The gateway calls of <c>predict</c> and <c>pipeline run</c>, against an HttpListener on a loopback port.</summary>
public sealed class GatewayClientTests : IDisposable
{
    private readonly HttpListener _gateway = new();
    private readonly Uri _url;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public GatewayClientTests()
    {
        _url = new Uri($"http://127.0.0.1:{TestPorts.Free()}/");
        _gateway.Prefixes.Add(_url.ToString());
        _gateway.Start();
    }

    [Theory]
    [InlineData("../orchestrator/v1/pipelines")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    public void PathSegment_NameThatWouldReachAnotherRoute_IsRefused(string name) => Assert.Null(GatewayClient.PathSegment(name));

    [Fact]
    public async Task SendAsync_EscapedName_ReachesThePipelineRouteWithTheNameIntact()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var segment = GatewayClient.PathSegment("triage?v=2 #1");
        Assert.NotNull(segment);
        var received = AnswerAsync(cancellationToken);

        var exitCode = await GatewayClient.SendAsync(_url, "key", $"api/pipelines/{segment}", new { text = "hi" }, TimeSpan.FromSeconds(30), _output, _error, cancellationToken);

        Assert.Equal(0, exitCode);
        Assert.Equal("/api/pipelines/triage%3Fv%3D2%20%231", await received);
        Assert.Contains("\"ok\": true", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_GatewayNeverAnswers_ReportsTheTimeoutInsteadOfThrowing()
    {
        // The listener accepts the connection and never answers.
        var exitCode = await GatewayClient.SendAsync(_url, "key", "api/pipelines/slow", new { text = "hi" }, TimeSpan.FromMilliseconds(200), _output, _error, TestContext.Current.CancellationToken);

        Assert.Equal(1, exitCode);
        Assert.Contains("did not answer api/pipelines/slow within 0.2s", _error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a url", null)]
    [InlineData("ftp://127.0.0.1:19450", null)]
    [InlineData("/relative", null)]
    [InlineData(null, "a\nb")]
    [InlineData(null, "with space")]
    [InlineData(null, "")]
    public void CheckOptions_UnusableGatewayOrKey_SaysWhich(string? gateway, string? key)
    {
        // Each crashed predict / pipeline run with an unhandled UriFormatException, NotSupportedException or FormatException.
        var problem = GatewayClient.CheckOptions(gateway, key);

        Assert.NotNull(problem);
        Assert.Contains(gateway is null ? "API key" : "--gateway", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "lat_abc-DEF_123")]
    [InlineData("https://gateway.example/", null)]
    [InlineData(null, "eyJhbGciOiJIUzI1NiJ9.e30.sig")]
    public void CheckOptions_UsableGatewayAndKey_AreAccepted(string? gateway, string? key) =>
        Assert.Null(GatewayClient.CheckOptions(gateway, key));

    public void Dispose() => _gateway.Close();

    private async Task<string> AnswerAsync(CancellationToken cancellationToken)
    {
        var context = await _gateway.GetContextAsync().WaitAsync(cancellationToken);
        var path = context.Request.RawUrl!;
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync("{\"ok\":true}"u8.ToArray(), cancellationToken);
        context.Response.Close();
        return path;
    }
}
