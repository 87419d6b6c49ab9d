using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// Stable RFC 9457 <c>type</c> URIs, one per error kind. Clients switch on these, never on titles,
/// so a value here never changes once shipped.
/// </summary>
public static class ProblemTypes
{
    /// <summary>Base of every Lattice problem type URI.</summary>
    public const string BaseUri = "https://lattice.dev/problems/";

    public const string BadRequest = BaseUri + "bad-request";
    public const string Validation = BaseUri + "validation";
    public const string Unauthorized = BaseUri + "unauthorized";
    public const string Forbidden = BaseUri + "forbidden";
    public const string NotFound = BaseUri + "not-found";
    public const string MethodNotAllowed = BaseUri + "method-not-allowed";
    public const string NotAcceptable = BaseUri + "not-acceptable";
    public const string RequestTimeout = BaseUri + "request-timeout";
    public const string Conflict = BaseUri + "conflict";
    public const string PayloadTooLarge = BaseUri + "payload-too-large";
    public const string UriTooLong = BaseUri + "uri-too-long";
    public const string UnsupportedMediaType = BaseUri + "unsupported-media-type";
    public const string HeadersTooLarge = BaseUri + "headers-too-large";
    public const string TooManyRequests = BaseUri + "too-many-requests";
    public const string Internal = BaseUri + "internal";
    public const string BadGateway = BaseUri + "bad-gateway";
    public const string ServiceUnavailable = BaseUri + "service-unavailable";
    public const string GatewayTimeout = BaseUri + "gateway-timeout";

    /// <summary>The default type for a status code when the code that failed did not name a more specific one.</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status406NotAcceptable => NotAcceptable,
        StatusCodes.Status408RequestTimeout => RequestTimeout,
        StatusCodes.Status409Conflict => Conflict,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status414UriTooLong => UriTooLong,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status422UnprocessableEntity => Validation,
        StatusCodes.Status429TooManyRequests => TooManyRequests,
        StatusCodes.Status431RequestHeaderFieldsTooLarge => HeadersTooLarge,
        StatusCodes.Status502BadGateway => BadGateway,
        StatusCodes.Status503ServiceUnavailable => ServiceUnavailable,
        StatusCodes.Status504GatewayTimeout => GatewayTimeout,
        >= 500 => Internal,
        _ => BaseUri + "http-" + status,
    };
}
