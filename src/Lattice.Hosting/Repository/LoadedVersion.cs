using System.Text.Json;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Models;

namespace Lattice.Hosting.Repository;

/// <summary>
/// A loaded, warmed-up version taking traffic. Requests hold a lease while they use it; a removed version
/// is retired (no new leases) and disposed once the last lease is released, so a reload never fails a request.
/// </summary>
internal sealed class LoadedVersion : IDisposable
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private volatile bool _retired;
    private int _disposed;

    public LoadedVersion(string modelName, string version, IModelAdapter adapter, string fingerprint, MicroBatcher? batcher, RequestCount? requests = null)
    {
        Requests = requests ?? new RequestCount();
        ModelName = modelName;
        Version = version;
        Adapter = adapter;
        Signature = adapter.Signature;
        Fingerprint = fingerprint;
        Batcher = batcher;
        VersionKey = VersionOrder.Key(version);
        EncodedVersion = JsonEncodedText.Encode(version);
        EncodedLabels = [.. Signature.Labels.Select(label => JsonEncodedText.Encode(label))];
    }

    public string ModelName { get; }

    public string Version { get; }

    public IModelAdapter Adapter { get; }

    public ModelSignature Signature { get; }

    /// <summary>Names, sizes and times of the version's files when it was loaded; a change reloads it.</summary>
    public string Fingerprint { get; }

    /// <summary>Requests this version answered (shared with earlier loads of the same version name).</summary>
    public RequestCount Requests { get; }

    /// <summary>The version name, escaped and UTF-8 encoded once for the JSON answers.</summary>
    public JsonEncodedText EncodedVersion { get; }

    /// <summary>The signature's labels, escaped and UTF-8 encoded once for the JSON answers.</summary>
    public JsonEncodedText[] EncodedLabels { get; }

    /// <summary>The micro-batcher, when batching is on for this version.</summary>
    public MicroBatcher? Batcher { get; }

    internal VersionOrder.SortKey VersionKey { get; }

    public bool IsRetired => _retired;

    /// <summary>Completes when the version is retired and no request holds it.</summary>
    public Task Drained => _drained.Task;

    public int Leases => Volatile.Read(ref _leases);

    /// <summary>Takes a lease unless the version was retired (the caller then routes again).</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (!_retired)
        {
            return true;
        }

        Release();
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && _retired)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Stops new leases; <see cref="Drained"/> completes when the in-flight ones are released.</summary>
    public void Retire()
    {
        _retired = true;

        // A full fence between the flag and the lease count, as TryAcquire has one (its interlocked add) between the
        // count and the flag: then a racing TryAcquire either sees the flag or is seen here. Without it the CPU may
        // read the count before the flag is visible, find no lease, drain, and let that request use a disposed model.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _leases) == 0)
        {
            _drained.TrySetResult();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Batcher?.Dispose();
            Adapter.Dispose();
        }
    }
}

/// <summary>Orders versions: numeric ones by value ("10" after "9"), the rest ordinally after them.</summary>
internal static class VersionOrder
{
    internal readonly record struct SortKey(bool IsNumeric, decimal Number, string Text) : IComparable<SortKey>
    {
        public int CompareTo(SortKey other)
        {
            if (IsNumeric != other.IsNumeric)
            {
                return IsNumeric ? -1 : 1;
            }

            var byNumber = IsNumeric ? Number.CompareTo(other.Number) : 0;
            return byNumber != 0 ? byNumber : string.CompareOrdinal(Text, other.Text);
        }
    }

    public static SortKey Key(string version) =>
        decimal.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? new SortKey(true, number, version)
            : new SortKey(false, 0, version);

    public static int Compare(string a, string b) => Key(a).CompareTo(Key(b));
}
