using System.Text;
using OpenTelemetry.Metrics;

namespace Lattice.ServiceDefaults.Metrics;

/// <summary>Owns the pull reader and renders one scrape at a time.</summary>
internal sealed class PrometheusScraper
{
    /// <summary>The content type of the Prometheus text exposition format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly PrometheusMetricExporter _exporter = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public PrometheusScraper()
    {
        Reader = new BaseExportingMetricReader(_exporter);
    }

    /// <summary>The reader to add to the process's MeterProvider.</summary>
    public MetricReader Reader { get; }

    public async Task<string> ScrapeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var output = new StringBuilder(16 * 1024);
            _exporter.Target = output;
            try
            {
                if (!Reader.Collect((int)timeout.TotalMilliseconds))
                {
                    throw new TimeoutException("Metric collection did not finish in time.");
                }
            }
            finally
            {
                _exporter.Target = null;
            }

            return output.ToString();
        }
        finally
        {
            _gate.Release();
        }
    }
}
