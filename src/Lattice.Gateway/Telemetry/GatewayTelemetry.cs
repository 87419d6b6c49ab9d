using System.Diagnostics;
using System.Diagnostics.Metrics;
using Lattice.Gateway.Forwarding;

namespace Lattice.Gateway.Telemetry;

/// <summary>
/// The gateway's one Meter and one ActivitySource, both named <see cref="Name"/> (ServiceDefaults listens to
/// every <c>Lattice.*</c> source and meter). Tag values are cached objects so recording does not allocate.
/// </summary>
internal sealed class GatewayTelemetry
{
    public const string Name = "Lattice.Gateway";

    public static readonly ActivitySource Source = new(Name);

    private static readonly object[] StatusCodes = CreateStatusCodes();
    private static readonly object[] Errors = CreateErrors();

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _ejections;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _cache;

    public GatewayTelemetry(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(Name);
        _requests = Meter.CreateCounter<long>(
            "lattice.gateway.requests", "{request}", "Requests answered by the gateway, by route and status code.");
        _upstreamDuration = Meter.CreateHistogram<double>(
            "lattice.gateway.upstream.duration", "s", "Time from sending to an upstream replica until its response headers, per attempt.");
        _retries = Meter.CreateCounter<long>(
            "lattice.gateway.retries", "{retry}", "Attempts repeated on another replica, by route and reason.");
        _ejections = Meter.CreateCounter<long>(
            "lattice.gateway.ejections", "{ejection}", "Replicas ejected by passive outlier detection, by service and replica.");
        _rateLimited = Meter.CreateCounter<long>(
            "lattice.gateway.rate_limited", "{request}", "Requests refused with 429, by reason (key, concurrency).");
        _cache = Meter.CreateCounter<long>(
            "lattice.gateway.cache.requests", "{request}", "Response cache lookups, by route and result (hit, miss, bypass).");
    }

    public Meter Meter { get; }

    public void Request(string route, int statusCode) =>
        _requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status_code", Status(statusCode)));

    public void UpstreamAttempt(string route, string replica, ForwarderError error, double seconds) =>
        _upstreamDuration.Record(
            seconds,
            new KeyValuePair<string, object?>("route", route),
            new KeyValuePair<string, object?>("replica", replica),
            new KeyValuePair<string, object?>("error", Errors[(int)error]));

    public void Retry(string route, ForwarderError reason) =>
        _retries.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("reason", Errors[(int)reason]));

    public void Ejected(string service, string replica) =>
        _ejections.Add(1, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("replica", replica));

    public void RateLimited(string reason) => _rateLimited.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Cache(string route, string result) =>
        _cache.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("result", result));

    private static object Status(int statusCode) =>
        (uint)statusCode < (uint)StatusCodes.Length ? StatusCodes[statusCode] : statusCode;

    private static object[] CreateStatusCodes()
    {
        var codes = new object[600];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = i;
        }

        return codes;
    }

    private static object[] CreateErrors()
    {
        var values = Enum.GetValues<ForwarderError>();
        var names = new object[values.Length];
        foreach (var value in values)
        {
            names[(int)value] = ForwarderErrors.Name(value);
        }

        return names;
    }
}
