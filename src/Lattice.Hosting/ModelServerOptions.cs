using System.ComponentModel.DataAnnotations;

namespace Lattice.Hosting;

/// <summary>Model repository, reload and per-model settings (section <c>Lattice:ModelServer</c>).</summary>
public sealed class ModelServerOptions
{
    public const string SectionName = "Lattice:ModelServer";

    /// <summary>
    /// Model repository root (<c>&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/</c>). Relative paths resolve against the
    /// content root. Unset: the first <c>models/</c> folder holding a served model, searching up from the
    /// content root and then from the application folder.
    /// </summary>
    public string? Root { get; set; }

    /// <summary>Watch the repository with a FileSystemWatcher (besides the periodic rescan). Default true.</summary>
    public bool Watch { get; set; } = true;

    /// <summary>Periodic full rescan, which also catches changes a watcher missed. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Quiet time after the last file event before a rescan, so a copy in progress is seen once, whole. Default 500 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Predictions run on a new version before it takes traffic. Default 64.</summary>
    [Range(1, 100_000)]
    public int WarmupIterations { get; set; } = 64;

    /// <summary>Longest wait for a removed version's in-flight requests before it is disposed anyway. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-model settings by model name (traffic policy, batching, bulkhead).</summary>
    public IDictionary<string, ModelOptions> Models { get; } = new Dictionary<string, ModelOptions>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Settings of one model.</summary>
public sealed class ModelOptions
{
    /// <summary>Which version answers; re-read on every request, so a configuration reload changes it live.</summary>
    public TrafficPolicyOptions Traffic { get; set; } = new();

    /// <summary>Adaptive micro-batching; read when a version loads.</summary>
    public BatchingOptions Batching { get; set; } = new();

    /// <summary>Bounded concurrency and queue; read at start.</summary>
    public BulkheadOptions Bulkhead { get; set; } = new();
}

/// <summary>Traffic policy: default version, weighted split (canary), sticky routing and a shadow version.</summary>
public sealed class TrafficPolicyOptions
{
    /// <summary>The version that answers when no weights apply. Unset (or not loaded): the highest loaded version.</summary>
    public string? DefaultVersion { get; set; }

    /// <summary>
    /// Weighted split by version, e.g. <c>{"1": 90, "2": 10}</c>. Versions that are not loaded are skipped and the rest
    /// renormalised; when none is loaded the default version answers. Empty: no split.
    /// </summary>
    public IDictionary<string, double> Weights { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>
    /// Header whose value pins a caller to a version (A/B): the same key always gets the same version while the
    /// weights and loaded versions stay the same. Default <c>X-Lattice-Route-Key</c>; empty disables sticky routing.
    /// The OIP <c>routing_key</c> request parameter does the same.
    /// </summary>
    public string? StickyHeader { get; set; } = "X-Lattice-Route-Key";

    /// <summary>A version that also scores every request after the response was sent; its result is only recorded and metered.</summary>
    public string? ShadowVersion { get; set; }
}

/// <summary>Adaptive micro-batching of single-item requests.</summary>
public sealed class BatchingOptions
{
    /// <summary>On, off, or unset: on only for models whose batch path is faster (<c>ModelSignature.PrefersBatching</c>).</summary>
    public bool? Enabled { get; set; }

    /// <summary>Most items per model call. Default 32.</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// How long a busy worker may wait for a batch to fill. Default 0: a batch is whatever queued while the
    /// previous one ran, so an idle server dispatches at once and batching adds no latency at low load.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.Zero;
}

/// <summary>Bulkhead: requests predicting at once per model, and how many may wait; the rest get 429.</summary>
public sealed class BulkheadOptions
{
    /// <summary>Requests of this model predicting at once. Default 64.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>Requests waiting for a slot; beyond this a request gets 429. Default 1024.</summary>
    [Range(0, 1_000_000)]
    public int MaxQueue { get; set; } = 1024;

    /// <summary>The Retry-After value of a 429, in seconds. Default 1.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}

/// <summary>Request limits (section <c>Lattice:ModelServer:Limits</c>); crossing one is a 4xx, never a 5xx.</summary>
public sealed class ModelServerLimitsOptions
{
    public const string SectionName = "Lattice:ModelServer:Limits";

    /// <summary>Largest request body in bytes (413 beyond). Default 1 MiB.</summary>
    [Range(64, 256 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Longest text in characters (UTF-16 code units). Default 10,000.</summary>
    [Range(1, 10_000_000)]
    public int MaxTextLength { get; set; } = 10_000;

    /// <summary>Most items in one request (texts of a batch, rows of a tensor). Default 256.</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Most elements in one request tensor. Default 1,048,576.</summary>
    [Range(1, 100_000_000)]
    public int MaxTensorElements { get; set; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted. Default 16.</summary>
    [Range(2, 256)]
    public int MaxJsonDepth { get; set; } = 16;
}

/// <summary>Prediction recording (section <c>Lattice:ModelServer:Predictions</c>).</summary>
public sealed class PredictionSinkOptions
{
    public const string SectionName = "Lattice:ModelServer:Predictions";

    /// <summary>Predictions the default in-memory sink keeps (a ring); 0 records nothing. Default 1024.</summary>
    [Range(0, 1_000_000)]
    public int Capacity { get; set; } = 1024;

    /// <summary>Characters of a text kept in a prediction's input summary. Default 64.</summary>
    [Range(0, 10_000)]
    public int InputPreviewLength { get; set; } = 64;
}
