namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// Titles of problems that more than one component answers, so the same refusal reads the same wherever it comes from.
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
}
