using System.Collections.Concurrent;
using Lattice.Hosting.Models;
using Lattice.Hosting.Telemetry;

namespace Lattice.Hosting.Execution;

/// <summary>
/// Adaptive micro-batching for one model version: single-item requests queue, and one worker at a time
/// scores whatever has queued (up to <see cref="BatchingOptions.MaxBatchSize"/>) in one batch call.
/// </summary>
/// <remarks>
/// An idle batcher dispatches the first request at once, so batching adds no latency at low load; batches
/// grow on their own as load rises, because requests arriving while a batch runs form the next one.
/// <see cref="BatchingOptions.MaxWait"/> &gt; 0 lets a busy worker wait for a fuller batch.
/// <para>
/// The worker waits on a monitor rather than a disposable wait handle: a version's last lease can be released (and the
/// version disposed) while its worker is still between batches, and a worker that met a disposed handle would throw on a
/// thread-pool thread, which ends the process. Disposing only marks the batcher and wakes a waiting worker.
/// </para>
/// </remarks>
internal sealed class MicroBatcher : IThreadPoolWorkItem, IDisposable
{
    private readonly IModelAdapter _adapter;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly int _width;
    private readonly ConcurrentQueue<BatchItem> _queue = new();
    private readonly ModelInput[] _inputs;
    private readonly BatchItem[] _items;
    private readonly float[] _outputs;
    private readonly HostingTelemetry _telemetry;
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly object _filled = new(); // pulsed when the queue reaches a full batch (MaxWait > 0 only)
    private int _pending;
    private int _running;
    private volatile bool _disposed;

    public MicroBatcher(IModelAdapter adapter, string model, string version, BatchingOptions options, HostingTelemetry telemetry)
    {
        _adapter = adapter;
        _maxBatch = options.MaxBatchSize;
        _maxWait = options.MaxWait;
        _width = adapter.Signature.OutputWidth;
        _inputs = new ModelInput[_maxBatch];
        _items = new BatchItem[_maxBatch];
        _outputs = new float[_maxBatch * _width];
        _telemetry = telemetry;
        _tags = [new(HostingTags.Model, model), new(HostingTags.Version, version)];
    }

    /// <summary>Requests queued and not yet taken by the worker.</summary>
    public int QueueDepth => Volatile.Read(ref _pending);

    /// <summary>Queues one item; the task completes when its output row is written to <paramref name="output"/>.</summary>
    public Task PredictAsync(in ModelInput input, float[] output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var item = new BatchItem(input, output);
        // Counted before it is queued: the worker subtracts only what it dequeued, so the depth never reads below zero.
        var pending = Interlocked.Increment(ref _pending);
        _queue.Enqueue(item);
        if (pending >= _maxBatch && _maxWait > TimeSpan.Zero)
        {
            lock (_filled)
            {
                Monitor.Pulse(_filled);
            }
        }

        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return item.Task;
    }

    public void Execute()
    {
        var previous = 0;
        while (true)
        {
            if (previous > 1 && _maxWait > TimeSpan.Zero)
            {
                // Busy (the last batch had company): give the next one a moment to fill. The count is read under the
                // lock an enqueue pulses under, after its increment, so a batch that fills is never missed.
                lock (_filled)
                {
                    if (!_disposed && Volatile.Read(ref _pending) < _maxBatch)
                    {
                        Monitor.Wait(_filled, _maxWait);
                    }
                }
            }

            var count = 0;
            while (count < _maxBatch && _queue.TryDequeue(out var item))
            {
                _items[count] = item;
                _inputs[count] = item.Input;
                count++;
            }

            if (count == 0)
            {
                // A full fence, not a release store: the emptiness check below must not be read before the flag is
                // cleared (a store-load reorder), or an enqueue that saw _running == 1 would strand its item.
                Interlocked.Exchange(ref _running, 0);
                // An enqueue may have seen _running == 1 just before we cleared it: take the work back if so.
                if (_queue.IsEmpty || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
                {
                    return;
                }

                previous = 0;
                continue;
            }

            Interlocked.Add(ref _pending, -count);
            Run(count);
            previous = count;
        }
    }

    private void Run(int count)
    {
        using var activity = HostingTelemetry.ActivitySource.StartActivity("micro-batch");
        activity?.SetTag("lattice.batch.size", count);
        try
        {
            var outputs = _outputs.AsSpan(0, count * _width);
            if (count == 1)
            {
                _adapter.Predict(_inputs[0], outputs);
            }
            else
            {
                _adapter.PredictBatch(_inputs.AsSpan(0, count), outputs);
            }

            for (var i = 0; i < count; i++)
            {
                outputs.Slice(i * _width, _width).CopyTo(_items[i].Output);
                _items[i].TrySetResult();
            }
        }
        catch (Exception ex)
        {
            for (var i = 0; i < count; i++)
            {
                _items[i].TrySetException(ex);
            }
        }
        finally
        {
            _telemetry.BatchSize.Record(count, _tags.AsSpan());
            Array.Clear(_items, 0, count);
            Array.Clear(_inputs, 0, count);
        }
    }

    /// <summary>Whether a worker is scoring or about to (tests use it to see the worker finish).</summary>
    internal bool IsRunning => Volatile.Read(ref _running) == 1;

    /// <summary>Refuses new items and wakes a worker waiting for a fuller batch; the worker finishes what is queued and stops.</summary>
    public void Dispose()
    {
        _disposed = true;
        lock (_filled)
        {
            Monitor.PulseAll(_filled);
        }
    }

    private sealed class BatchItem(ModelInput input, float[] output) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public ModelInput Input { get; } = input;

        public float[] Output { get; } = output;
    }
}
