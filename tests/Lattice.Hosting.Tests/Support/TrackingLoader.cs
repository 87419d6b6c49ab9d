using System.Collections.Concurrent;
using Lattice.Hosting.Models;

namespace Lattice.Hosting.Tests.Support;

/// <summary>Keyword classifiers that remember whether they were disposed; optionally the n-th Load blocks until the load is cancelled.</summary>
internal sealed class TrackingLoader(int blockOnLoad = 0) : IModelLoader
{
    private readonly KeywordClassifierLoader _inner = new();
    private int _loads;

    public ConcurrentDictionary<string, TrackedAdapter> Adapters { get; } = new();

    /// <summary>Released when the blocking load starts waiting.</summary>
    public SemaphoreSlim Blocked { get; } = new(0);

    public bool IsDisposed(string version) => Adapters.TryGetValue(version, out var adapter) && adapter.Disposed;

    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _loads) == blockOnLoad)
        {
            Blocked.Release();
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
            cancellationToken.ThrowIfCancellationRequested();
        }

        var adapter = new TrackedAdapter(_inner.Load(source, cancellationToken));
        Adapters[source.Version] = adapter;
        return adapter;
    }
}

/// <summary>An adapter that refuses to predict once disposed, and says whether it was.</summary>
internal sealed class TrackedAdapter(IModelAdapter inner) : IModelAdapter
{
    private int _disposed;

    public bool Disposed => Volatile.Read(ref _disposed) == 1;

    public ModelSignature Signature => inner.Signature;

    public void Predict(in ModelInput input, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        inner.Predict(input, output);
    }

    public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        inner.PredictBatch(inputs, outputs);
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        inner.Dispose();
    }
}
