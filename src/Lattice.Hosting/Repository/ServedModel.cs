using System.Collections.Frozen;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Models;
using Lattice.Hosting.Routing;

namespace Lattice.Hosting.Repository;

/// <summary>One model the server hosts: its loader, its loaded versions (an immutable snapshot swapped atomically) and its bulkhead.</summary>
internal sealed class ServedModel : IDisposable
{
    private volatile ModelSnapshot _snapshot = ModelSnapshot.Empty;

    public ServedModel(string name, IModelLoader loader, BulkheadOptions bulkhead)
    {
        Name = name;
        Loader = loader;
        RetryAfterSeconds = bulkhead.RetryAfterSeconds;
        Bulkhead = new Bulkhead(bulkhead.MaxConcurrency, bulkhead.MaxQueue);
    }

    public string Name { get; }

    public IModelLoader Loader { get; }

    public Bulkhead Bulkhead { get; }

    public int RetryAfterSeconds { get; }

    public ModelSnapshot Snapshot => _snapshot;

    /// <summary>Versions refused at load, with the fingerprint of the files that failed (retried when they change).</summary>
    public Dictionary<string, string> Refused { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests answered per version name; survives reloads of a version so the counter stays monotonic.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, RequestCount> RequestCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>The last compiled route plan; rebuilt when the snapshot or the policy options change.</summary>
    internal RoutePlan? CachedPlan { get; set; }

    public void Publish(ModelSnapshot snapshot) => _snapshot = snapshot;

    public void Dispose() => Bulkhead.Dispose();
}

/// <summary>The versions of a model that take traffic, immutable.</summary>
internal sealed class ModelSnapshot
{
    public static readonly ModelSnapshot Empty = new([]);

    public ModelSnapshot(IEnumerable<LoadedVersion> versions)
    {
        Ordered = [.. versions.OrderBy(v => v.VersionKey)];
        ByVersion = Ordered.ToFrozenDictionary(v => v.Version, StringComparer.Ordinal);
        VersionNames = [.. Ordered.Select(v => v.Version)];
    }

    /// <summary>Loaded versions, lowest first.</summary>
    public LoadedVersion[] Ordered { get; }

    public FrozenDictionary<string, LoadedVersion> ByVersion { get; }

    public string[] VersionNames { get; }

    public LoadedVersion? Latest => Ordered.Length == 0 ? null : Ordered[^1];

    public bool IsEmpty => Ordered.Length == 0;
}

/// <summary>A request total bumped on the hot path and read by an observable counter.</summary>
/// <remarks>
/// Striped: every core adds to its own cell (128 bytes apart), and a read sums the cells. With one shared cell every
/// request made the cache line travel between cores; the count is written on every request and read only per scrape.
/// </remarks>
internal sealed class RequestCount
{
    private const int Stride = 16; // longs per cell: 128 bytes, clear of the adjacent-line prefetcher
    private static readonly int Cells = Math.Clamp(Environment.ProcessorCount, 1, 64);
    private readonly long[] _cells = new long[(Cells + 1) * Stride]; // cell i at (i + 1) * Stride: no neighbour before it either

    public long Value
    {
        get
        {
            long sum = 0;
            for (var i = Stride; i < _cells.Length; i += Stride)
            {
                sum += Volatile.Read(ref _cells[i]);
            }

            return sum;
        }
    }

    public void Increment() => IncrementOn(Thread.GetCurrentProcessorId());

    /// <summary>Adds one in the cell of <paramref name="processorId"/> (ids can exceed the processor count: they wrap).</summary>
    internal void IncrementOn(int processorId) => Interlocked.Increment(ref _cells[((processorId % Cells) + 1) * Stride]);
}
