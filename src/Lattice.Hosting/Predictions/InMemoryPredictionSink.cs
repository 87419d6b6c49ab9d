using Lattice.Contracts.Events;
using Microsoft.Extensions.Options;

namespace Lattice.Hosting.Predictions;

/// <summary>
/// The default sink: keeps the last <see cref="PredictionSinkOptions.Capacity"/> predictions in a ring
/// without allocating per record. The control plane's transport will replace it.
/// </summary>
/// <remarks>
/// Writers claim a slot with one interlocked increment and copy the record under that slot's stripe lock, so
/// concurrent requests do not queue on one lock (they did, measurably, at tens of thousands of requests a
/// second on two cores); a stripe lock still keeps a record from being read half-written.
/// </remarks>
public sealed class InMemoryPredictionSink(IOptions<PredictionSinkOptions> options) : IPredictionSink
{
    private const int Stripes = 16;
    private readonly PredictionRecord[] _ring = new PredictionRecord[options.Value.Capacity];
    private readonly int _previewLength = options.Value.InputPreviewLength;
    private readonly Lock[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new Lock())];
    private long _count;

    /// <summary>Predictions recorded since start (including those the ring no longer holds).</summary>
    public long Count => Interlocked.Read(ref _count);

    public void Record(in PredictionRecord record)
    {
        if (_ring.Length == 0)
        {
            return;
        }

        var sequence = Interlocked.Increment(ref _count) - 1;
        var slot = (int)(sequence % _ring.Length);
        lock (_stripes[slot % Stripes])
        {
            _ring[slot] = record;
        }
    }

    /// <summary>The predictions the ring holds, oldest first.</summary>
    public IReadOnlyList<PredictionEvent> Snapshot()
    {
        var copy = new PredictionRecord[_ring.Length];
        var count = Interlocked.Read(ref _count);
        for (var stripe = 0; stripe < Stripes; stripe++)
        {
            lock (_stripes[stripe])
            {
                for (var slot = stripe; slot < _ring.Length; slot += Stripes)
                {
                    copy[slot] = _ring[slot];
                }
            }
        }

        var held = (int)Math.Min(count, copy.Length);
        var result = new List<PredictionEvent>(held);
        for (var i = count - held; i < count; i++)
        {
            // A slot claimed but not yet written by a writer still running holds nothing (first lap) or an older record.
            var record = copy[(int)(i % copy.Length)];
            if (record.Model is not null)
            {
                result.Add(record.ToEvent(_previewLength));
            }
        }

        return result;
    }
}
