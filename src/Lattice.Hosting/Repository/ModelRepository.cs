using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Lattice.Hosting.Execution;
using Lattice.Hosting.Models;
using Lattice.Hosting.Telemetry;
using Lattice.ML.ModelFiles;
using Microsoft.Extensions.Logging;

namespace Lattice.Hosting.Repository;

/// <summary>
/// The model repository (<c>&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/</c>): scans it, loads and warms up new versions
/// before they take traffic, reloads changed ones, retires removed ones after they drain, and refuses
/// versions that fail to load while the others keep serving.
/// </summary>
internal sealed partial class ModelRepository : IDisposable
{
    private readonly SemaphoreSlim _scanLock = new(1, 1);
    private readonly ModelServerSettings _settings;
    private readonly HostingTelemetry _telemetry;
    private readonly ILogger<ModelRepository> _logger;
    private readonly List<(LoadedVersion Version, Task Disposed)> _draining = [];
    private readonly CancellationTokenSource _stopping = new();
    private int _scans;

    public ModelRepository(
        ModelServerRegistrations registrations,
        ModelRootResolver rootResolver,
        ModelServerSettings settings,
        HostingTelemetry telemetry,
        ILogger<ModelRepository> logger)
    {
        _settings = settings;
        _telemetry = telemetry;
        _logger = logger;
        var current = settings.Current;
        Models = registrations.Models.ToDictionary(
            r => r.Name,
            r => new ServedModel(r.Name, r.Loader, Settings(current, r.Name).Bulkhead),
            StringComparer.OrdinalIgnoreCase);
        Root = rootResolver.Resolve(current.Root, [.. Models.Keys]);
        telemetry.ObserveCounter("lattice.hosting.requests", "{request}", "Inference requests answered, by model and version.", ObserveRequests);
        telemetry.ObserveGauge("lattice.hosting.queue.depth", "{request}", "Requests waiting in a model's bulkhead queue and micro-batch queues.", ObserveQueueDepth);
        telemetry.ObserveGauge("lattice.hosting.inflight", "{request}", "Requests holding a model version now (routed, predicting or writing the answer).", ObserveInFlight);
        telemetry.ObserveGauge("lattice.hosting.model.versions", "{version}", "Versions of a model loaded and taking traffic.", ObserveVersions);
    }

    /// <summary>
    /// Served models by name, in any case, as routing matches the typed APIs' paths and configuration its keys (two
    /// models whose names differ only in case cannot be registered). Answers name a model as it was registered.
    /// </summary>
    public IReadOnlyDictionary<string, ServedModel> Models { get; }

    /// <summary>Full path of the repository root.</summary>
    public string Root { get; }

    /// <summary>Completed scans since start; the first one marks the end of the initial load.</summary>
    public int Scans => Volatile.Read(ref _scans);

    /// <summary>True once every served model has at least one version taking traffic.</summary>
    public bool AllModelsReady => Models.Values.All(m => !m.Snapshot.IsEmpty);

    /// <summary>Brings every model in line with the folder: loads new or changed versions, retires removed ones.</summary>
    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        await _scanLock.WaitAsync(cancellationToken);
        try
        {
            foreach (var model in Models.Values)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ScanModel(model, cancellationToken);
            }

            Interlocked.Increment(ref _scans);
        }
        finally
        {
            _scanLock.Release();
        }
    }

    private void ScanModel(ServedModel model, CancellationToken cancellationToken)
    {
        var found = FindVersions(Path.Combine(Root, model.Name));
        var current = model.Snapshot;
        var next = new Dictionary<string, LoadedVersion>(current.ByVersion, StringComparer.Ordinal);
        var retired = new List<LoadedVersion>();

        try
        {
            LoadChanged(model, found, current, next, retired, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Shutdown during a load: the versions this scan already loaded were never published; nothing else disposes them.
            foreach (var (version, loaded) in next)
            {
                if (!current.ByVersion.TryGetValue(version, out var published) || !ReferenceEquals(published, loaded))
                {
                    loaded.Dispose();
                }
            }

            throw;
        }

        foreach (var version in current.ByVersion.Keys)
        {
            if (!found.ContainsKey(version))
            {
                retired.Add(current.ByVersion[version]);
                next.Remove(version);
            }
        }

        foreach (var version in model.Refused.Keys.Where(v => !found.ContainsKey(v)).ToList())
        {
            model.Refused.Remove(version);
        }

        if (retired.Count == 0 && next.Count == current.ByVersion.Count)
        {
            return;
        }

        // Publish first, retire after: a request either sees the new snapshot or holds a lease on the old version.
        model.Publish(new ModelSnapshot(next.Values));
        foreach (var old in retired)
        {
            LogVersionRetired(old.ModelName, old.Version, old.Leases);
            old.Retire();
            lock (_draining)
            {
                _draining.RemoveAll(d => d.Disposed.IsCompleted);
                _draining.Add((old, DisposeWhenDrainedAsync(old)));
            }
        }
    }

    /// <summary>Loads the versions that are new or whose files changed into <paramref name="next"/>; replaced ones go to <paramref name="retired"/>.</summary>
    private void LoadChanged(ServedModel model, Dictionary<string, string> found, ModelSnapshot current,
        Dictionary<string, LoadedVersion> next, List<LoadedVersion> retired, CancellationToken cancellationToken)
    {
        foreach (var (version, directory) in found)
        {
            var fingerprint = Fingerprint(directory);
            if (fingerprint.Length == 0)
            {
                continue; // an empty folder: a copy has not started yet
            }

            if (current.ByVersion.TryGetValue(version, out var loaded) && loaded.Fingerprint == fingerprint)
            {
                continue;
            }

            if (model.Refused.TryGetValue(version, out var refusedFingerprint) && refusedFingerprint == fingerprint)
            {
                continue; // refused already; tried again when its files change
            }

            var replacement = TryLoad(model, new ModelVersionSource(model.Name, version, directory), fingerprint, cancellationToken);
            if (replacement is null)
            {
                model.Refused[version] = fingerprint;
                continue;
            }

            model.Refused.Remove(version);
            if (loaded is not null)
            {
                retired.Add(loaded);
            }

            next[version] = replacement;
        }
    }

    private LoadedVersion? TryLoad(ServedModel model, ModelVersionSource source, string fingerprint, CancellationToken cancellationToken)
    {
        using var activity = HostingTelemetry.ActivitySource.StartActivity("load model version");
        activity?.SetTag("lattice.model", source.ModelName);
        activity?.SetTag("lattice.model.version", source.Version);
        if (!IsSafeVersionName(source.Version))
        {
            // The name goes into URL paths and the X-Model-Version header, which take ASCII only: served, every answer would fail.
            RecordRefusal(source, "InvalidVersionName",
                "a version folder name may hold only ASCII letters, digits, '.', '-' and '_'", null);
            return null;
        }

        var started = Stopwatch.GetTimestamp();
        IModelAdapter? adapter = null;
        MicroBatcher? batcher = null;
        try
        {
            adapter = model.Loader.Load(source, cancellationToken);
            var failure = WarmUp(adapter, _settings.Current.WarmupIterations);
            if (failure is not null)
            {
                RecordRefusal(source, "warmup", failure, null);
                adapter.Dispose();
                return null;
            }

            var settings = Settings(_settings.Current, model.Name).Batching;
            batcher = settings.Enabled ?? adapter.Signature.PrefersBatching
                ? new MicroBatcher(adapter, source.ModelName, source.Version, settings, _telemetry)
                : null;
            var loaded = new LoadedVersion(source.ModelName, source.Version, adapter, fingerprint, batcher,
                model.RequestCounts.GetOrAdd(source.Version, _ => new RequestCount()));
            _telemetry.Loads.Add(1, new(HostingTags.Model, source.ModelName), new(HostingTags.Version, source.Version));
            LogVersionLoaded(source.ModelName, source.Version, adapter.Signature.Platform, batcher is not null, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return loaded;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            batcher?.Dispose();
            adapter?.Dispose();
            throw;
        }
        catch (Exception ex)
        {
            // E.g. a label or version name that JSON cannot encode: nothing of the half-built version may keep running.
            batcher?.Dispose();
            adapter?.Dispose();
            var reason = ex is ModelFileException file ? file.Error.ToString() : ex.GetType().Name;
            RecordRefusal(source, reason, ex.Message, ex);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return null;
        }
    }

    /// <summary>Whether a version folder name is safe as a URL segment, a header value and a metric label: ASCII letters, digits, '.', '-' and '_'.</summary>
    internal static bool IsSafeVersionName(string version) =>
        version.Length > 0 && version.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    private void RecordRefusal(ModelVersionSource source, string reason, string message, Exception? exception)
    {
        _telemetry.LoadFailures.Add(1, new(HostingTags.Model, source.ModelName), new(HostingTags.Version, source.Version), new(HostingTags.Reason, reason));
        LogVersionRefused(source.ModelName, source.Version, source.Directory, reason, message, exception);
    }

    /// <summary>Runs the single and batch paths so the first real request meets jitted code and warm caches.</summary>
    internal static string? WarmUp(IModelAdapter adapter, int iterations)
    {
        var signature = adapter.Signature;
        if (signature.OutputWidth <= 0)
        {
            return "the model declares no outputs";
        }

        var sample = signature.InputKind == ModelInputKind.Text
            ? ModelInput.FromText("Lattice warm-up: the quick brown fox jumps over the lazy dog. 123 ¿Qué tal? Ça va.")
            : ModelInput.FromFeatures(new float[signature.FeatureCount]);
        var output = new float[signature.OutputWidth * 8];
        for (var i = 0; i < iterations; i++)
        {
            adapter.Predict(sample, output.AsSpan(0, signature.OutputWidth));
        }

        var batch = new ModelInput[8];
        Array.Fill(batch, sample);
        adapter.PredictBatch(batch, output);
        foreach (var value in output)
        {
            if (!float.IsFinite(value))
            {
                return "a warm-up prediction was not a finite number";
            }
        }

        return null;
    }

    /// <summary>Disposes a retired version once its leases are released, after DrainTimeout, or when the host stops.</summary>
    private async Task DisposeWhenDrainedAsync(LoadedVersion version)
    {
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
        {
            var drainTimeout = Task.Delay(_settings.Current.DrainTimeout, timeout.Token);
            await Task.WhenAny(version.Drained, drainTimeout);
            await timeout.CancelAsync(); // drained first: no timer left behind
        }

        LogVersionDisposed(version.ModelName, version.Version, version.Leases);
        version.Dispose();
    }

    /// <summary>Waits for removed versions to drain and dispose (tests, shutdown).</summary>
    public Task WhenDrainedAsync()
    {
        lock (_draining)
        {
            return Task.WhenAll(_draining.Select(d => d.Disposed));
        }
    }

    private static Dictionary<string, string> FindVersions(string modelDirectory)
    {
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(modelDirectory))
        {
            return versions;
        }

        foreach (var directory in Directory.EnumerateDirectories(modelDirectory))
        {
            var name = Path.GetFileName(directory);
            if (!name.StartsWith('.'))
            {
                versions[name] = directory;
            }
        }

        return versions;
    }

    /// <summary>Names, sizes and write times of the visible files (hidden ones are copies in progress); empty when there are none.</summary>
    internal static string Fingerprint(string directory)
    {
        var builder = new StringBuilder();
        try
        {
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).OrderBy(f => f.FullName, StringComparer.Ordinal))
            {
                if (file.Name.StartsWith('.'))
                {
                    continue;
                }

                builder.Append(Path.GetRelativePath(directory, file.FullName)).Append(':').Append(file.Length).Append(':')
                    .Append(file.LastWriteTimeUtc.Ticks).Append(';');
            }
        }
        catch (IOException)
        {
            return string.Empty; // removed while we looked: the next scan sees the final state
        }

        return builder.ToString();
    }

    private static ModelOptions Settings(ModelServerOptions options, string model) =>
        options.Models.TryGetValue(model, out var settings) && settings is not null ? settings : new ModelOptions();

    private IEnumerable<Measurement<long>> ObserveQueueDepth()
    {
        foreach (var model in Models.Values)
        {
            long depth = model.Bulkhead.QueueDepth;
            foreach (var version in model.Snapshot.Ordered)
            {
                depth += version.Batcher?.QueueDepth ?? 0;
            }

            yield return new Measurement<long>(depth, new KeyValuePair<string, object?>(HostingTags.Model, model.Name));
        }
    }

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        foreach (var model in Models.Values)
        {
            foreach (var (version, count) in model.RequestCounts)
            {
                yield return new Measurement<long>(count.Value,
                    new KeyValuePair<string, object?>(HostingTags.Model, model.Name), new KeyValuePair<string, object?>(HostingTags.Version, version));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveInFlight()
    {
        foreach (var model in Models.Values)
        {
            foreach (var version in model.Snapshot.Ordered)
            {
                yield return new Measurement<long>(version.Leases,
                    new KeyValuePair<string, object?>(HostingTags.Model, model.Name), new KeyValuePair<string, object?>(HostingTags.Version, version.Version));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveVersions()
    {
        foreach (var model in Models.Values)
        {
            yield return new Measurement<long>(model.Snapshot.Ordered.Length, new KeyValuePair<string, object?>(HostingTags.Model, model.Name));
        }
    }

    public void Dispose()
    {
        // Retired versions still draining go with the host: their requests outlived the shutdown timeout already.
        _stopping.Cancel();
        List<(LoadedVersion Version, Task Disposed)> draining;
        lock (_draining)
        {
            draining = [.. _draining];
        }

        foreach (var (version, _) in draining)
        {
            version.Dispose(); // idempotent; the drain task logs and disposes it too, on its own thread
        }

        foreach (var model in Models.Values)
        {
            foreach (var version in model.Snapshot.Ordered)
            {
                version.Retire();
                version.Dispose();
            }

            model.Dispose();
        }

        _scanLock.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Loaded {ModelName} version {ModelVersion} ({Platform}, micro-batching {Batching}) in {ElapsedMs} ms, warmed up; it takes traffic now")]
    private partial void LogVersionLoaded(string modelName, string modelVersion, string platform, bool batching, double elapsedMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Refused {ModelName} version {ModelVersion} from {Directory} ({Reason}): {Detail}; the other versions keep serving")]
    private partial void LogVersionRefused(string modelName, string modelVersion, string directory, string reason, string detail, Exception? exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Retired {ModelName} version {ModelVersion}; draining {InFlight} in-flight requests")]
    private partial void LogVersionRetired(string modelName, string modelVersion, int inFlight);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Disposed {ModelName} version {ModelVersion} ({InFlight} requests still in flight)")]
    private partial void LogVersionDisposed(string modelName, string modelVersion, int inFlight);
}
