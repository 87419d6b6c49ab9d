using System.Net;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Models;
using Lattice.Hosting.Telemetry;
using Lattice.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Hosting.Tests.Execution;

public sealed class MicroBatcherTests
{
    private static (MicroBatcher Batcher, KeywordClassifierLoader Loader, IModelAdapter Adapter, TempRepository Repository, ServiceProvider Services) Create(Gate? gate, int maxBatch = 32)
    {
        var repository = new TempRepository();
        TestModels.WriteKeywordClassifier(repository.Root, "m", "1");
        var loader = new KeywordClassifierLoader(gate);
        var adapter = loader.Load(new ModelVersionSource("m", "1", Path.Combine(repository.Root, "m", "1")), CancellationToken.None);
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new HostingTelemetry(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var batcher = new MicroBatcher(adapter, "m", "1", new BatchingOptions { MaxBatchSize = maxBatch }, telemetry);
        return (batcher, loader, adapter, repository, services);
    }

    [Fact]
    public async Task PredictAsync_IdleBatcher_DispatchesAloneAtOnce()
    {
        var (sut, loader, _, repository, services) = Create(gate: null);
        using var _ = repository;
        await using var __ = services;
        var output = new float[2];

        await sut.PredictAsync(ModelInput.FromText("positive"), output);

        Assert.True(output[1] > output[0]);
        Assert.Empty(loader.BatchSizes); // a lone request takes the single-item path
    }

    [Fact]
    public async Task PredictAsync_RequestsArrivingWhileBusy_FormOneBatchInOrder()
    {
        using var gate = new Gate();
        var (sut, loader, _, repository, services) = Create(gate);
        using var _ = repository;
        await using var __ = services;

        var first = sut.PredictAsync(ModelInput.FromText(Gate.BlockingText), new float[2]);
        Assert.True(await gate.WaitEnteredAsync(TestContext.Current.CancellationToken));
        var outputs = Enumerable.Range(0, 10).Select(_ => new float[2]).ToArray();
        var texts = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? "positive" : "negative").ToArray();
        var rest = texts.Select((text, i) => sut.PredictAsync(ModelInput.FromText(text), outputs[i])).ToArray();
        Assert.Equal(10, sut.QueueDepth);
        gate.Open();
        await first;
        await Task.WhenAll(rest);

        Assert.Equal([10], loader.BatchSizes);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(i % 2 == 0, outputs[i][1] > outputs[i][0]);
        }
    }

    [Fact]
    public async Task PredictAsync_MoreThanMaxBatch_SplitsIntoBatchesOfAtMostMax()
    {
        using var gate = new Gate();
        var (sut, loader, _, repository, services) = Create(gate, maxBatch: 4);
        using var _ = repository;
        await using var __ = services;

        var first = sut.PredictAsync(ModelInput.FromText(Gate.BlockingText), new float[2]);
        Assert.True(await gate.WaitEnteredAsync(TestContext.Current.CancellationToken));
        var rest = Enumerable.Range(0, 10).Select(_ => sut.PredictAsync(ModelInput.FromText("x"), new float[2])).ToArray();
        gate.Open();
        await first;
        await Task.WhenAll(rest);

        Assert.Equal([4, 4, 2], loader.BatchSizes);
    }

    [Fact]
    public async Task Dispose_WhileTheWorkerIsBetweenBatchesWithMaxWait_TheWorkerStopsWithoutThrowing()
    {
        // The version's last lease goes the moment a batch's results are set, and the version is disposed while its
        // worker is still on its way to wait for the next batch: here the model itself disposes the batcher mid-batch,
        // so the worker always meets a disposed batcher there. Waiting on a disposed SemaphoreSlim threw on the thread
        // pool, which ends the test host.
        using var gate = new Gate();
        using var repository = new TempRepository();
        TestModels.WriteKeywordClassifier(repository.Root, "m", "1");
        var inner = new KeywordClassifierLoader(gate).Load(new ModelVersionSource("m", "1", Path.Combine(repository.Root, "m", "1")), CancellationToken.None);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new HostingTelemetry(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var adapter = new DisposingAdapter(inner);
        var sut = new MicroBatcher(adapter, "m", "1", new BatchingOptions { MaxBatchSize = 4, MaxWait = TimeSpan.FromSeconds(5) }, telemetry);
        adapter.OnBatch = sut.Dispose;

        var first = sut.PredictAsync(ModelInput.FromText(Gate.BlockingText), new float[2]);
        Assert.True(await gate.WaitEnteredAsync(TestContext.Current.CancellationToken));
        var outputs = new[] { new float[2], new float[2] };
        var batch = new[] { sut.PredictAsync(ModelInput.FromText("positive"), outputs[0]), sut.PredictAsync(ModelInput.FromText("negative"), outputs[1]) };
        gate.Open();
        await first;
        await Task.WhenAll(batch);
        await Eventually.TrueAsync(() => !sut.IsRunning, "the worker to stop");

        Assert.True(outputs[0][1] > outputs[0][0]);
        Assert.True(outputs[1][0] > outputs[1][1]);
        Assert.Throws<ObjectDisposedException>(() => { _ = sut.PredictAsync(ModelInput.FromText("late"), new float[2]); }); // refused before it queues
    }

    /// <summary>Runs a callback inside each batch call, after the inner model scored it.</summary>
    private sealed class DisposingAdapter(IModelAdapter inner) : IModelAdapter
    {
        public Action? OnBatch { get; set; }

        public ModelSignature Signature => inner.Signature;

        public void Predict(in ModelInput input, Span<float> output) => inner.Predict(input, output);

        public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs)
        {
            inner.PredictBatch(inputs, outputs);
            OnBatch?.Invoke();
        }

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task Server_BatchingEnabled_ConcurrentRequestsAllAnswerCorrectly()
    {
        await using var server = await ModelServerApp.StartAsync(TempRepository.WithDefaults(), new Dictionary<string, string?>
        {
            ["Lattice:ModelServer:Models:sentiment:Batching:Enabled"] = "true",
            ["Lattice:ModelServer:Models:sentiment:Batching:MaxBatchSize"] = "8",
        });
        using var client = server.CreateClient();

        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            var text = i % 2 == 0 ? "positive positive" : "negative negative";
            var (status, body, _) = await client.PostAsync("/v1/sentiment", $$"""{"text": "{{text}}"}""");
            return (i, status, label: status == HttpStatusCode.OK ? body.GetProperty("label").GetString() : null);
        }));

        Assert.All(results, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.status);
            Assert.Equal(r.i % 2 == 0 ? "positive" : "negative", r.label);
        });
        var served = server.Services.GetRequiredService<Lattice.Hosting.Repository.ModelRepository>().Models["sentiment"];
        Assert.All(served.Snapshot.Ordered, v => Assert.NotNull(v.Batcher));
    }
}
