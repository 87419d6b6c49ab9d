using System.Text;

namespace Lattice.ServiceDefaults.Metrics;

/// <summary>
/// Maps OpenTelemetry instrument names, units and tag keys to valid Prometheus names,
/// following the OpenTelemetry-to-Prometheus compatibility rules (units become suffixes,
/// counters end in <c>_total</c>, invalid characters become underscores).
/// </summary>
internal static class PrometheusNaming
{
    /// <summary>Builds the metric family name for an instrument.</summary>
    public static string MetricName(string instrumentName, string? unit, PrometheusMetricKind kind)
    {
        var name = Sanitize(instrumentName, allowColon: true);
        var unitSuffix = UnitSuffix(unit, kind);
        if (unitSuffix.Length > 0 && !name.EndsWith("_" + unitSuffix, StringComparison.Ordinal))
        {
            name = name + "_" + unitSuffix;
        }

        if (kind == PrometheusMetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        return name;
    }

    /// <summary>Builds a label name from a tag key; never starts with the reserved <c>__</c>.</summary>
    public static string LabelName(string tagKey)
    {
        var name = Sanitize(tagKey, allowColon: false);
        while (name.StartsWith("__", StringComparison.Ordinal))
        {
            name = name[1..];
        }

        return name;
    }

    /// <summary>Converts an OpenTelemetry (UCUM) unit to its Prometheus suffix, or "" when it has none.</summary>
    public static string UnitSuffix(string? unit, PrometheusMetricKind kind)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return string.Empty;
        }

        // Annotations such as "{request}" carry no unit.
        var withoutAnnotations = StripAnnotations(unit);
        if (withoutAnnotations.Length == 0)
        {
            return string.Empty;
        }

        if (withoutAnnotations == "1")
        {
            return kind == PrometheusMetricKind.Gauge ? "ratio" : string.Empty;
        }

        var slash = withoutAnnotations.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var numerator = UnitWord(withoutAnnotations[..slash]);
            var denominator = PerUnitWord(withoutAnnotations[(slash + 1)..]);
            var combined = numerator.Length == 0 ? "per_" + denominator : numerator + "_per_" + denominator;
            return Sanitize(combined, allowColon: false).Trim('_');
        }

        return Sanitize(UnitWord(withoutAnnotations), allowColon: false).Trim('_');
    }

    private static string UnitWord(string unit) => unit switch
    {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "bit" => "bits",
        "Hz" => "hertz",
        "%" => "percent",
        "Cel" => "celsius",
        "V" => "volts",
        "W" => "watts",
        "A" => "amperes",
        "J" => "joules",
        _ => unit,
    };

    private static string PerUnitWord(string unit) => unit switch
    {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => unit,
    };

    private static string StripAnnotations(string unit)
    {
        if (!unit.Contains('{', StringComparison.Ordinal))
        {
            return unit.Trim();
        }

        var builder = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Trim();
    }

    /// <summary>Replaces every character outside [a-zA-Z0-9_(:)] with '_', collapses runs of '_', and guards a leading digit.</summary>
    internal static string Sanitize(string value, bool allowColon)
    {
        if (value.Length == 0)
        {
            return "_";
        }

        var builder = new StringBuilder(value.Length + 1);
        var lastWasUnderscore = false;
        foreach (var c in value)
        {
            var valid = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') || (allowColon && c == ':');
            if (valid)
            {
                builder.Append(c);
                lastWasUnderscore = false;
            }
            else if (!lastWasUnderscore)
            {
                builder.Append('_');
                lastWasUnderscore = true;
            }
        }

        if (char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }
}

/// <summary>The Prometheus metric types Lattice exposes.</summary>
internal enum PrometheusMetricKind
{
    Counter,
    Gauge,
    Histogram,
}
