using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Lattice.ServiceDefaults.Metrics;

/// <summary>
/// A pull-only OpenTelemetry exporter: each scrape asks the reader to collect, and the
/// batch handed to <see cref="Export"/> is rendered as Prometheus text on the spot.
/// The OpenTelemetry Prometheus exporter packages do not restore here, so this is the small part we need.
/// It is not marked pull-only: the SDK lets a pull-only exporter collect only through an internal scope.
/// A plain <see cref="BaseExportingMetricReader"/> never exports on a timer, so nothing is pushed anyway.
/// </summary>
internal sealed class PrometheusMetricExporter : BaseExporter<Metric>
{
    private StringBuilder? _target;

    /// <summary>The buffer the next collection writes into; set by the scraper under its lock.</summary>
    internal StringBuilder? Target
    {
        get => _target;
        set => _target = value;
    }

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var target = _target;
        if (target is null)
        {
            return ExportResult.Success;
        }

        var writer = new PrometheusTextWriter();
        foreach (var metric in batch)
        {
            writer.Add(metric);
        }

        writer.WriteTo(target);
        return ExportResult.Success;
    }
}
