using Lattice.Contracts.Events;
using Microsoft.Extensions.Options;

namespace Lattice.Hosting.Predictions;

/// <summary>
/// The default sink: keeps the last <see cref="PredictionSinkOptions.Capacity"/> predictions in a ring
/// without allocating per record. The control plane's transport will replace it.
/// </summary>
public sealed class InMemoryPredictionSink(IOptions<PredictionSinkOptions> options) : IPredictionSink
{
    private readonly PredictionRecord[] _ring = new PredictionRecord[options.Value.Capacity];
    private readonly int _previewLength = options.Value.InputPreviewLength;
    private readonly Lock _lock = new();
    private long _count;

    /// <summary>Predictions recorded since start (including those the ring no longer holds).</summary>
    public long Count => Interlocked.Read(ref _count);

    public void Record(in PredictionRecord record)
    {
        if (_ring.Length == 0)
        {
            return;
        }

        lock (_lock)
        {
            _ring[(int)(_count % _ring.Length)] = record;
            _count++;
        }
    }

    /// <summary>The predictions the ring holds, oldest first.</summary>
    public IReadOnlyList<PredictionEvent> Snapshot()
    {
        PredictionRecord[] copy;
        long count;
        lock (_lock)
        {
            copy = (PredictionRecord[])_ring.Clone();
            count = _count;
        }

        var held = (int)Math.Min(count, copy.Length);
        var result = new List<PredictionEvent>(held);
        for (var i = count - held; i < count; i++)
        {
            result.Add(copy[(int)(i % copy.Length)].ToEvent(_previewLength));
        }

        return result;
    }
}
