using System.Diagnostics.Metrics;
using Lattice.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Logging;

namespace Lattice.ServiceDefaults.Http;

/// <summary>
/// Retries and circuit transitions as metrics and log lines. Polly.Extensions (which would emit
/// Polly's own telemetry) does not restore here, so the strategies report through these callbacks.
/// </summary>
internal sealed partial class HttpResilienceTelemetry
{
    private readonly Counter<long> _retries;
    private readonly Counter<long> _circuitTransitions;
    private readonly ILogger _logger;

    public HttpResilienceTelemetry(IMeterFactory meterFactory, ILoggerFactory loggerFactory)
    {
        var meter = meterFactory.Create(LatticeTelemetry.ServiceDefaults);
        _retries = meter.CreateCounter<long>(
            "lattice.http.client.retries", "{retry}", "Retries of outgoing HTTP calls, by upstream and reason.");
        _circuitTransitions = meter.CreateCounter<long>(
            "lattice.http.client.circuit.transitions", "{transition}", "Circuit breaker state changes, by upstream and new state.");
        _logger = loggerFactory.CreateLogger("Lattice.ServiceDefaults.Http");
    }

    public void Retried(string? upstream, int attempt, string reason, TimeSpan delay)
    {
        _retries.Add(1, new KeyValuePair<string, object?>("upstream", upstream ?? "unknown"), new KeyValuePair<string, object?>("reason", reason));
        LogRetry(_logger, attempt, upstream ?? "unknown", reason, delay.TotalMilliseconds);
    }

    public void CircuitChanged(string upstream, string state)
    {
        _circuitTransitions.Add(1, new KeyValuePair<string, object?>("upstream", upstream), new KeyValuePair<string, object?>("state", state));
        LogCircuit(_logger, upstream, state);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Retry {Attempt} to {Upstream} after {Reason}, in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, string upstream, string reason, double delayMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Circuit to {Upstream} is now {State}")]
    private static partial void LogCircuit(ILogger logger, string upstream, string state);
}
