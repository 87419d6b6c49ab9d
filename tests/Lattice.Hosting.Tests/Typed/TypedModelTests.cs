using System.Net;
using Lattice.Hosting.Predictions;
using Lattice.Hosting.Tests.Apis;
using Lattice.Hosting.Tests.Support;
using Lattice.Testing;
using Lattice.ServiceDefaults.Problems;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Tests.Typed;

public sealed class TypedModelTests
{
    internal const string TensorRequest = """{"id": "t-1", "inputs": [{"name": "name", "shape": [2], "datatype": "BYTES", "data": ["Ada", "Bob"]}]}""";

    [Fact]
    public async Task Invoke_StickyKeyUnderASplit_AlwaysGetsTheSameVersion()
    {
        var (app, repository) = await GreeterServer.StartAsync(new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:greeter:Traffic:Weights:1"] = "50",
            ["Lattice:ModelServer:Models:greeter:Traffic:Weights:2"] = "50",
        });
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Lattice-Route-Key", "customer-42");

        var versions = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var (_, body, response) = await client.PostAsync("/v1/greet", """{"name": "Ada"}""");
            versions.Add(body.GetProperty("version").GetString()!);
            Assert.Equal("sticky", response.Headers.GetValues("X-Lattice-Route").Single());
        }

        Assert.Single(versions.Distinct());
    }

    [Fact]
    public async Task ReadJson_BodyOverTheLimit_Returns413OnBothApis()
    {
        var (app, repository) = await GreeterServer.StartAsync(new Dictionary<string, string?> { ["Lattice:ModelServer:Limits:MaxRequestBodyBytes"] = "256" });
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();
        var name = new string('a', 300);

        var (typedStatus, typed, _) = await client.PostAsync("/v1/greet", $$"""{"name": "{{name}}"}""");
        var (oipStatus, oip, oipResponse) = await client.PostAsync("/v2/models/greeter/infer", $$"""{"inputs": [{"name": "name", "shape": [1], "datatype": "BYTES", "data": ["{{name}}"]}]}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, typedStatus);
        Assert.Equal(ProblemTypes.PayloadTooLarge, typed.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oipStatus);
        OpenInferenceApiTests.AssertErrorShape(oip, oipResponse);
    }

    [Fact]
    public async Task Bulkhead_Full_Returns429WithRetryAfterOnTypedAndTensorRoutes()
    {
        using var gate = new Gate();
        var (app, repository) = await GreeterServer.StartAsync(new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:greeter:Bulkhead:MaxConcurrency"] = "1",
            ["Lattice:ModelServer:Models:greeter:Bulkhead:MaxQueue"] = "0",
            ["Lattice:ModelServer:Models:greeter:Bulkhead:RetryAfterSeconds"] = "4",
        }, gate);
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();

        var blocked = client.PostAsync("/v1/greet", $$"""{"name": "{{Gate.BlockingText}}"}""");
        Assert.True(await gate.WaitEnteredAsync(TestContext.Current.CancellationToken));
        var (typedStatus, typed, typedResponse) = await client.PostAsync("/v1/greet", """{"name": "Ada"}""");
        var (oipStatus, oip, oipResponse) = await client.PostAsync("/v2/models/greeter/infer", TensorRequest);
        gate.Open();
        var (blockedStatus, _, _) = await blocked;

        Assert.Equal(HttpStatusCode.TooManyRequests, typedStatus);
        Assert.Equal(ProblemTypes.TooManyRequests, typed.GetProperty("type").GetString());
        Assert.Equal("4", typedResponse.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.TooManyRequests, oipStatus);
        OpenInferenceApiTests.AssertErrorShape(oip, oipResponse);
        Assert.Equal("4", oipResponse.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, blockedStatus);
    }

    [Fact]
    public async Task Invoke_CallerHangsUp_CancellableOperationStopsFreesItsSlotAndIsNoInternalError()
    {
        var ct = TestContext.Current.CancellationToken;
        using var gate = new Gate();
        var (app, repository) = await GreeterServer.StartAsync(new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:greeter:Bulkhead:MaxConcurrency"] = "1",
            ["Lattice:ModelServer:Models:greeter:Bulkhead:MaxQueue"] = "0",
        }, gate);
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();
        string[] internalErrors = ["kind=\"internal\"", "model=\"greeter\""];
        var errorsBefore = await client.MetricValueAsync("lattice_hosting_errors_total", internalErrors);

        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var abandoned = client.PostAsync(
            "/v1/greet", new StringContent($$"""{"name": "{{Gate.HangUpText}}"}""", System.Text.Encoding.UTF8, "application/json"), hangUp.Token);
        Assert.True(await gate.WaitEnteredAsync(ct));
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        // The operation saw the hang-up and stopped; its bulkhead slot (the only one) serves the next caller.
        Assert.True(await gate.WaitStoppedAsync(ct), "the operation never saw its caller hang up");
        await Eventually.TrueAsync(async () => (await client.PostAsync("/v1/greet", """{"name": "Ada"}""")).Status == HttpStatusCode.OK, "the freed slot");
        Assert.Equal(errorsBefore, await client.MetricValueAsync("lattice_hosting_errors_total", internalErrors));
    }

    [Fact]
    public async Task Invoke_EachItem_IsRecordedAndMeteredPerModelAndVersion()
    {
        var (app, repository) = await GreeterServer.StartAsync();
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();
        var sink = app.Services.GetRequiredService<InMemoryPredictionSink>();
        var before = sink.Count;

        var (status, _, _) = await client.PostAsync("/v1/greet", """{"names": ["Ada", "Bob"]}""");
        await client.PostAsync("/v1/greet", """{"name": ""}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(before + 2, sink.Count);
        var recorded = sink.Snapshot().TakeLast(2).ToList();
        Assert.Equal(["Ada", "Bob"], recorded.Select(p => p.Input));
        Assert.Equal(["Bonjour, Ada", "Bonjour, Bob"], recorded.Select(p => p.Output));
        Assert.All(recorded, p =>
        {
            Assert.Equal("greeter", p.Model);
            Assert.Equal("2", p.Version);
            Assert.False(p.Shadow);
            Assert.Equal(32, p.TraceId!.Length);
        });
        var metrics = (await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken)).Split('\n');
        bool Has(string name, params string[] labels) => metrics.Any(l => l.StartsWith(name + "{", StringComparison.Ordinal)
            && labels.All(label => l.Contains(label, StringComparison.Ordinal)));
        Assert.True(Has("lattice_hosting_requests_total", "model=\"greeter\"", "version=\"2\""));
        Assert.True(Has("lattice_hosting_request_duration_seconds_bucket", "model=\"greeter\"", "version=\"2\""));
        Assert.True(Has("lattice_hosting_batch_size_bucket", "model=\"greeter\"", "version=\"2\""));
        Assert.True(Has("lattice_hosting_errors_total", "model=\"greeter\"", "kind=\"bad_input\""));
    }

    [Fact]
    public async Task Shadow_RunsAfterTheResponseOnTheShadowVersion_RecordedAndMeteredWithAgreement()
    {
        var (app, repository) = await GreeterServer.StartAsync(new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:greeter:Traffic:DefaultVersion"] = "2",
            ["Lattice:ModelServer:Models:greeter:Traffic:ShadowVersion"] = "1",
        });
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();
        var sink = app.Services.GetRequiredService<InMemoryPredictionSink>();

        var (status, body, _) = await client.PostAsync("/v1/greet", """{"name": "Ada"}""");
        await Eventually.TrueAsync(() => sink.Snapshot().Any(p => p.Shadow), "the shadow prediction");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bonjour, Ada", body.GetProperty("greetings")[0].GetString());
        var shadow = sink.Snapshot().Single(p => p.Shadow);
        Assert.Equal("1", shadow.Version);
        Assert.Equal("Hello, Ada", shadow.Output);
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("lattice_hosting_shadow_predictions_total{", StringComparison.Ordinal)
            && l.Contains("version=\"1\"", StringComparison.Ordinal) && l.Contains("outcome=\"ok\"", StringComparison.Ordinal)
            && l.Contains("agreement=\"disagree\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HotReload_NewVersionFolder_AnswersWithoutRestart()
    {
        var (app, repository) = await GreeterServer.StartAsync();
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();

        Greeter.Write(repository.Root, "3", "Hallo");
        await Eventually.TrueAsync(async () => (await client.PostAsync("/v1/greet", """{"name": "Ada"}""")).Body.GetProperty("version").GetString() == "3", "version 3");
        var (_, body, _) = await client.PostAsync("/v1/greet", """{"name": "Ada"}""");

        Assert.Equal("Hallo, Ada", body.GetProperty("greetings")[0].GetString());
    }

    [Fact]
    public async Task NoVersionLoaded_TypedAndTensorRoutesAnswer503()
    {
        var (app, repository) = await GreeterServer.StartAsync(versions: []);
        await using var _ = app;
        using var __ = repository;
        using var client = app.CreateClient();

        var (typedStatus, typed, typedResponse) = await client.PostAsync("/v1/greet", """{"name": "Ada"}""");
        var (oipStatus, oip, oipResponse) = await client.PostAsync("/v2/models/greeter/infer", TensorRequest);
        var (metadataStatus, _, _) = await client.GetJsonAsync("/v2/models/greeter");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, typedStatus);
        Assert.Equal(ModelServerProblemTypes.ModelNotReady, typed.GetProperty("type").GetString());
        Assert.Equal("Model not ready", typed.GetProperty("title").GetString());
        Assert.Equal("1", typedResponse.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, oipStatus);
        OpenInferenceApiTests.AssertErrorShape(oip, oipResponse);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, metadataStatus);
    }
}

/// <summary>The greeter server with versions 1 and 2 and default settings, shared by the tests that do not change it.</summary>
public sealed class GreeterFixture : IAsyncLifetime
{
    private KestrelApp? _app;
    private TempRepository? _repository;

    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        (_app, _repository) = await GreeterServer.StartAsync();
        Client = _app.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _repository?.Dispose();
    }
}
