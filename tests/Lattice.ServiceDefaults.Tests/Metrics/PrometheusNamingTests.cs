using Lattice.ServiceDefaults.Metrics;

namespace Lattice.ServiceDefaults.Tests.Metrics;

public sealed class PrometheusNamingTests
{
    [Theory]
    [InlineData("http.server.request.duration", "s", (int)PrometheusMetricKind.Histogram, "http_server_request_duration_seconds")]
    [InlineData("http.server.active_requests", "{request}", (int)PrometheusMetricKind.Gauge, "http_server_active_requests")]
    [InlineData("lattice.requests", "{request}", (int)PrometheusMetricKind.Counter, "lattice_requests_total")]
    [InlineData("bytes.sent", "By", (int)PrometheusMetricKind.Counter, "bytes_sent_bytes_total")]
    [InlineData("requests_total", null, (int)PrometheusMetricKind.Counter, "requests_total")]
    [InlineData("cpu.utilization", "1", (int)PrometheusMetricKind.Gauge, "cpu_utilization_ratio")]
    [InlineData("throughput", "By/s", (int)PrometheusMetricKind.Gauge, "throughput_bytes_per_second")]
    [InlineData("latency_seconds", "s", (int)PrometheusMetricKind.Histogram, "latency_seconds")]
    [InlineData("9lives", "", (int)PrometheusMetricKind.Gauge, "_9lives")]
    [InlineData("a..b--c", "ms", (int)PrometheusMetricKind.Histogram, "a_b_c_milliseconds")]
    public void MetricName_OpenTelemetryInstrument_FollowsPrometheusCompatibilityRules(
        string instrument, string? unit, int kindValue, string expected)
    {
        var sut = PrometheusNaming.MetricName(instrument, unit, (PrometheusMetricKind)kindValue);

        Assert.Equal(expected, sut);
    }

    [Theory]
    [InlineData("http.route", "http_route")]
    [InlineData("__reserved", "_reserved")]
    [InlineData("model-version", "model_version")]
    [InlineData("0abc", "_0abc")]
    public void LabelName_TagKey_IsValidAndNotReserved(string tagKey, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.LabelName(tagKey));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-7, "1E-07")]
    public void FormatDouble_SpecialAndSmallValues_UseExpositionSpelling(double value, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.FormatDouble(value));
    }
}
