using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Lattice.ServiceDefaults.Metrics;

/// <summary>
/// Writes OpenTelemetry metrics in the Prometheus text exposition format 0.0.4.
/// Metrics from different meters that map to the same family name are merged under one
/// <c># HELP</c>/<c># TYPE</c> header; a later metric whose type conflicts is skipped.
/// </summary>
internal sealed class PrometheusTextWriter
{
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);

    /// <summary>Number of metrics skipped in the last write because their family type conflicted.</summary>
    public int SkippedConflicts { get; private set; }

    public void Add(Metric metric)
    {
        var kind = KindOf(metric.MetricType);
        if (kind is null)
        {
            return;
        }

        var name = PrometheusNaming.MetricName(metric.Name, metric.Unit, kind.Value);
        if (!_families.TryGetValue(name, out var family))
        {
            family = new Family(name, kind.Value, metric.Description);
            _families.Add(name, family);
        }
        else if (family.Kind != kind.Value)
        {
            SkippedConflicts++;
            return;
        }

        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = FormatLabels(point.Tags);
            if (!family.SeenLabelSets.Add(labels))
            {
                // The same series twice (two meters of one name in one process): keep the first.
                continue;
            }

            WritePoint(family, metric.MetricType, labels, point);
        }
    }

    public void WriteTo(StringBuilder output)
    {
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (family.Samples.Length == 0)
            {
                continue;
            }

            if (!string.IsNullOrEmpty(family.Help))
            {
                output.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            }

            output.Append("# TYPE ").Append(family.Name).Append(' ').Append(TypeWord(family.Kind)).Append('\n');
            output.Append(family.Samples);
        }
    }

    private static void WritePoint(Family family, MetricType type, string labels, in MetricPoint point)
    {
        var samples = family.Samples;
        switch (type)
        {
            case MetricType.LongSum:
            case MetricType.LongSumNonMonotonic:
                WriteSample(samples, family.Name, labels, point.GetSumLong());
                break;
            case MetricType.DoubleSum:
            case MetricType.DoubleSumNonMonotonic:
                WriteSample(samples, family.Name, labels, point.GetSumDouble());
                break;
            case MetricType.LongGauge:
                WriteSample(samples, family.Name, labels, point.GetGaugeLastValueLong());
                break;
            case MetricType.DoubleGauge:
                WriteSample(samples, family.Name, labels, point.GetGaugeLastValueDouble());
                break;
            case MetricType.Histogram:
                long cumulative = 0;
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    cumulative += bucket.BucketCount;
                    var le = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : FormatDouble(bucket.ExplicitBound);
                    samples.Append(family.Name).Append("_bucket{");
                    if (labels.Length > 0)
                    {
                        samples.Append(labels).Append(',');
                    }

                    samples.Append("le=\"").Append(le).Append("\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                WriteSample(samples, family.Name + "_sum", labels, point.GetHistogramSum());
                WriteSample(samples, family.Name + "_count", labels, point.GetHistogramCount());
                break;
        }
    }

    private static void WriteSample(StringBuilder samples, string name, string labels, double value)
    {
        samples.Append(name);
        if (labels.Length > 0)
        {
            samples.Append('{').Append(labels).Append('}');
        }

        samples.Append(' ').Append(FormatDouble(value)).Append('\n');
    }

    private static void WriteSample(StringBuilder samples, string name, string labels, long value)
    {
        samples.Append(name);
        if (labels.Length > 0)
        {
            samples.Append('{').Append(labels).Append('}');
        }

        samples.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static string FormatLabels(ReadOnlyTagCollection tags)
    {
        if (tags.Count == 0)
        {
            return string.Empty;
        }

        // Two tag keys can sanitise to one label name ("http.route" and "http_route"); their values are joined.
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            var name = PrometheusNaming.LabelName(tag.Key);
            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            labels[name] = labels.TryGetValue(name, out var existing) ? existing + ";" + value : value;
        }

        var builder = new StringBuilder();
        foreach (var (name, value) in labels)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(name).Append("=\"").Append(EscapeLabelValue(value)).Append('"');
        }

        return builder.ToString();
    }

    internal static string FormatDouble(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    private static PrometheusMetricKind? KindOf(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum => PrometheusMetricKind.Counter,
        MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic => PrometheusMetricKind.Gauge,
        MetricType.LongGauge or MetricType.DoubleGauge => PrometheusMetricKind.Gauge,
        MetricType.Histogram => PrometheusMetricKind.Histogram,
        _ => null, // exponential histograms are not configured anywhere in Lattice
    };

    private static string TypeWord(PrometheusMetricKind kind) => kind switch
    {
        PrometheusMetricKind.Counter => "counter",
        PrometheusMetricKind.Histogram => "histogram",
        _ => "gauge",
    };

    private sealed class Family(string name, PrometheusMetricKind kind, string? help)
    {
        public string Name { get; } = name;

        public PrometheusMetricKind Kind { get; } = kind;

        public string? Help { get; } = help;

        public StringBuilder Samples { get; } = new();

        public HashSet<string> SeenLabelSets { get; } = new(StringComparer.Ordinal);
    }
}
