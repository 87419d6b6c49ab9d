
namespace Lattice.Gateway.Telemetry;

/// <summary>The gateway's log lines, source-generated (EventIds 5000-5099).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Warning, Message = "Replica {Replica} of {Service} ejected for {EjectionSeconds} s after {Failures} failures in a row (ejection {EjectionCount})")]
    public static partial void ReplicaEjected(ILogger logger, string service, string replica, double ejectionSeconds, int failures, int ejectionCount);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Circuit to replica {Replica} of {Service} is now {State}")]
    public static partial void CircuitChanged(ILogger logger, string service, string replica, string state);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Replica {Replica} of {Service} failed its health check {Failures} times in a row and left rotation")]
    public static partial void ReplicaUnhealthy(ILogger logger, string service, string replica, int failures);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Replica {Replica} of {Service} passed its health check and is back in rotation")]
    public static partial void ReplicaHealthy(ILogger logger, string service, string replica);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Forwarding {Route} to {Replica} failed: {Error}")]
    public static partial void ForwardFailed(ILogger logger, string route, string replica, string error, Exception? exception);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "No admin key existed, so one was generated and printed to standard output once; it is stored only as a hash")]
    public static partial void BootstrapKeyGenerated(ILogger logger);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Bootstrap admin key from configuration registered as {KeyId}")]
    public static partial void BootstrapKeyConfigured(ILogger logger, string keyId);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "API key {KeyId} ({Name}) created with scopes {Scopes}")]
    public static partial void KeyCreated(ILogger logger, string keyId, string name, string scopes);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "API key {KeyId} revoked")]
    public static partial void KeyRevoked(ILogger logger, string keyId);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "Gateway routes: {RouteCount} routes over {ServiceCount} services; key store at {KeyStore}")]
    public static partial void Started(ILogger logger, int routeCount, int serviceCount, string keyStore);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "Health check of {Replica} failed: {Reason}")]
    public static partial void HealthCheckFailed(ILogger logger, string replica, string reason);
}
