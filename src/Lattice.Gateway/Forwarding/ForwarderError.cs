namespace Lattice.Gateway.Forwarding;

/// <summary>
/// How a forwarding attempt ended. Expected failures are values, not exceptions (as YARP's ForwarderError),
/// so the hot path never throws for a dead replica, a slow one or a client that went away.
/// </summary>
internal enum ForwarderError
{
    /// <summary>The upstream answered (any status) and its response was relayed.</summary>
    None,

    /// <summary>The service has no replica, or none can take a request now (circuits open).</summary>
    NoAvailableReplica,

    /// <summary>The replica's circuit breaker refused the attempt; nothing was sent.</summary>
    CircuitOpen,

    /// <summary>No connection could be made to the replica; nothing was sent.</summary>
    ConnectFailed,

    /// <summary>The route's timeout passed before the response headers arrived.</summary>
    RequestTimedOut,

    /// <summary>The client went away while the request was being forwarded.</summary>
    RequestCanceled,

    /// <summary>The client sent more body than the route allows.</summary>
    RequestBodyTooLarge,

    /// <summary>Reading the client's request body failed.</summary>
    RequestBodyClient,

    /// <summary>
    /// The client's request body stopped arriving: the route's timeout passed while the attempt was waiting for more of
    /// it, or it came slower than Kestrel's minimum data rate.
    /// </summary>
    RequestBodyTimedOut,

    /// <summary>Writing the request body to the replica failed.</summary>
    RequestBodyDestination,

    /// <summary>The replica failed after the connection was made, before its response headers.</summary>
    UpstreamRequestFailed,

    /// <summary>Writing the response body to the client failed (the client went away).</summary>
    ResponseBodyClient,

    /// <summary>Reading the response body from the replica failed.</summary>
    ResponseBodyDestination,
}

internal static class ForwarderErrors
{
    public static string Name(ForwarderError error) => error switch
    {
        ForwarderError.None => "none",
        ForwarderError.NoAvailableReplica => "no_replica",
        ForwarderError.CircuitOpen => "circuit_open",
        ForwarderError.ConnectFailed => "connect_failed",
        ForwarderError.RequestTimedOut => "timeout",
        ForwarderError.RequestCanceled => "client_canceled",
        ForwarderError.RequestBodyTooLarge => "body_too_large",
        ForwarderError.RequestBodyClient => "request_body_client",
        ForwarderError.RequestBodyTimedOut => "request_body_timeout",
        ForwarderError.RequestBodyDestination => "request_body_upstream",
        ForwarderError.UpstreamRequestFailed => "upstream_failed",
        ForwarderError.ResponseBodyClient => "response_body_client",
        ForwarderError.ResponseBodyDestination => "response_body_upstream",
        _ => "unknown",
    };

    /// <summary>True when the attempt provably sent nothing to the replica, so another replica may take it whatever the method.</summary>
    public static bool NothingSent(ForwarderError error) => error is ForwarderError.ConnectFailed or ForwarderError.CircuitOpen;

    /// <summary>
    /// True when the client ended the attempt (it went away, or its body broke, stalled or outgrew the limit): a
    /// verdict on nobody, counted neither for nor against the replica (circuit breaker, outlier ejection).
    /// </summary>
    public static bool IsClientFault(ForwarderError error) =>
        error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient or ForwarderError.RequestBodyTimedOut
            or ForwarderError.RequestBodyTooLarge;

    /// <summary>True when the error says the replica is unhealthy (counts for outlier ejection and the circuit breaker).</summary>
    public static bool IsReplicaFailure(ForwarderError error) =>
        error is ForwarderError.ConnectFailed or ForwarderError.RequestTimedOut or ForwarderError.UpstreamRequestFailed;
}
