using System.Text;
using OpenTelemetry.Metrics;

namespace Lattice.ServiceDefaults.Metrics;

/// <summary>Owns the pull reader and renders one scrape at a time.</summary>
/// <remarks>
/// A collection runs observable instruments' callbacks, and one that blocks (a lock, a slow read) holds the collection
/// up for as long as it blocks: <see cref="MetricReader.Collect"/>'s timeout does not bound it. So the collection runs
/// on its own task and a scrape waits for it, and for the one before it, only up to the scrape timeout; a collection
/// still running keeps the gate (and the exporter's target) until it ends, and later scrapes time out meanwhile
/// instead of queueing behind it for ever.
/// </remarks>
internal sealed class PrometheusScraper
{
    /// <summary>The content type of the Prometheus text exposition format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly PrometheusMetricExporter _exporter = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _timeProvider;

    public PrometheusScraper(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        Reader = new BaseExportingMetricReader(_exporter);
    }

    /// <summary>The reader to add to the process's MeterProvider.</summary>
    public MetricReader Reader { get; }

    /// <summary>The exposition text, or null when the collection did not finish within <paramref name="timeout"/>.</summary>
    public async Task<string?> ScrapeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await _gate.WaitAsync(linked.Token);
            var output = new StringBuilder(16 * 1024);
            var collected = Task.Run(() => Collect(output, timeout));
            return await collected.WaitAsync(linked.Token) ? output.ToString() : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>One collection into <paramref name="output"/>; the caller took the gate, this releases it when done.</summary>
    private bool Collect(StringBuilder output, TimeSpan timeout)
    {
        _exporter.Target = output;
        try
        {
            return Reader.Collect((int)timeout.TotalMilliseconds);
        }
        finally
        {
            _exporter.Target = null;
            _gate.Release();
        }
    }
}
