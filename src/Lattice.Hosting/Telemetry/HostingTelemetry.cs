using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lattice.Hosting.Telemetry;

/// <summary>The one ActivitySource and Meter of Lattice.Hosting, and every instrument it records.</summary>
/// <remarks>
/// Every measurement carries <c>model</c> and, once routing chose one, <c>version</c>, so a dashboard can
/// compare versions of a canary or an A/B split side by side.
/// </remarks>
public sealed class HostingTelemetry : IDisposable
{
    /// <summary>Name of the ActivitySource and the Meter.</summary>
    public const string Name = "Lattice.Hosting";

    private readonly Meter _meter;

    public HostingTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(Name);
        Errors = _meter.CreateCounter<long>("lattice.hosting.errors", "{request}", "Failed inference requests by model, version and kind.");
        Duration = _meter.CreateHistogram<double>("lattice.hosting.request.duration", "s", "Time from routing to result of an inference request.");
        BatchSize = _meter.CreateHistogram("lattice.hosting.batch.size", "{item}", "Items per model call (micro-batches and batch requests).",
            tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        Shadow = _meter.CreateCounter<long>("lattice.hosting.shadow.predictions", "{request}", "Shadow predictions by model, version, outcome and agreement with the primary.");
        LoadFailures = _meter.CreateCounter<long>("lattice.hosting.model.load_failures", "{version}", "Model versions refused at load, by reason.");
        Loads = _meter.CreateCounter<long>("lattice.hosting.model.loads", "{version}", "Model versions loaded and warmed up.");
    }

    /// <summary>The ActivitySource for model loads and micro-batches (request spans come from ASP.NET Core).</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    public Counter<long> Errors { get; }

    public Histogram<double> Duration { get; }

    public Histogram<long> BatchSize { get; }

    public Counter<long> Shadow { get; }

    public Counter<long> LoadFailures { get; }

    public Counter<long> Loads { get; }

    /// <summary>Registers an observable counter (monotonic totals kept by the repository without per-request instrument calls).</summary>
    public void ObserveCounter(string name, string unit, string description, Func<IEnumerable<Measurement<long>>> observe) =>
        _meter.CreateObservableCounter(name, observe, unit, description);

    /// <summary>Registers an observable gauge; the repository reports queue depth and loaded versions through it.</summary>
    public void ObserveGauge(string name, string unit, string description, Func<IEnumerable<Measurement<long>>> observe) =>
        _meter.CreateObservableGauge(name, observe, unit, description);

    public void Dispose() => _meter.Dispose();
}

/// <summary>Tag names and error kinds, constants so dashboards can rely on them.</summary>
public static class HostingTags
{
    public const string Model = "model";
    public const string Version = "version";
    public const string Kind = "kind";
    public const string Outcome = "outcome";
    public const string Reason = "reason";
    public const string Agreement = "agreement";

    /// <summary>The model or version tag of an error on a name the server does not serve (the name itself came from the client).</summary>
    public const string Unknown = "unknown";

    /// <summary>The version tag of an error that happened before a version was chosen.</summary>
    public const string NoVersion = "none";

    /// <summary>Error kinds of <c>lattice.hosting.errors</c>.</summary>
    public static class ErrorKinds
    {
        public const string BadInput = "bad_input";
        public const string Limit = "limit";
        public const string NotFound = "not_found";
        public const string NotReady = "not_ready";
        public const string Overloaded = "overloaded";
        public const string Internal = "internal";
    }
}
