namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// Titles of problems written in more than one place, so the same refusal reads the same wherever it comes from; each
/// goes with a <see cref="ProblemTypes"/> type (the model servers' own are in Lattice.Hosting's ModelServerProblemTitles).
/// Clients switch on <see cref="ProblemTypes"/>, not on these; a title may still be shown to people.
/// </summary>
public static class ProblemTitles
{
    /// <summary>414: the request line is over the limit (service defaults' limits or Kestrel's own).</summary>
    public const string UriTooLong = "Request line too long";

    /// <summary>431: the request headers are over the limit (service defaults' limits or Kestrel's own).</summary>
    public const string HeadersTooLarge = "Request headers too large";

    /// <summary>415: a body whose media type or charset the endpoint does not read.</summary>
    public const string UnsupportedMediaType = "Unsupported media type";

    /// <summary>400: a request the server could not read (Kestrel's own refusals, a body that broke off).</summary>
    public const string BadRequest = "Bad request";

    /// <summary>408: the request body did not arrive in time (Kestrel's minimum data rate or a read timeout).</summary>
    public const string RequestTimeout = "Request timeout";

    /// <summary>413: the request body (as sent, or once decoded) is over the limit.</summary>
    public const string PayloadTooLarge = "Request body too large";

    /// <summary>415: a body in a Content-Encoding the endpoint does not decode.</summary>
    public const string UnsupportedContentEncoding = "Unsupported content encoding";

    /// <summary>429: a concurrency, queue or rate limit is full; the answer carries Retry-After.</summary>
    public const string TooManyRequests = "Too many requests";

    /// <summary>500: an unexpected error; the detail says no more than that, the logs hold the rest.</summary>
    public const string Internal = "Internal error";

    /// <summary>401: no credentials, or ones the gateway does not accept; the answer carries WWW-Authenticate.</summary>
    public const string Unauthorized = "Unauthorized";

    /// <summary>403: the credentials are valid but lack the scope the route or endpoint needs.</summary>
    public const string InsufficientScope = "Insufficient scope";

    /// <summary>502: the upstream failed or answered something that could not be relayed.</summary>
    public const string BadGateway = "Bad gateway";

    /// <summary>503: no upstream can take the request now (none healthy, or the circuit is open).</summary>
    public const string ServiceUnavailable = "Service unavailable";

    /// <summary>504: the upstream did not answer in time.</summary>
    public const string UpstreamTimeout = "Upstream timeout";

    /// <summary>405: a method the target does not take (ASP.NET Core's own 405s carry this reason phrase as their title).</summary>
    public const string MethodNotAllowed = "Method Not Allowed";
}
