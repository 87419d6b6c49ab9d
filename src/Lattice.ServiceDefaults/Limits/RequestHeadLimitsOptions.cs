using System.ComponentModel.DataAnnotations;

namespace Lattice.ServiceDefaults.Limits;

/// <summary>
/// Limits on a request's head (section <c>Lattice:RequestLimits</c>), enforced for every Lattice process by
/// <see cref="RequestHeadLimitsMiddleware"/> with a ProblemDetails answer: 414 for a request line over
/// <see cref="MaxRequestLineBytes"/>, 431 for headers over <see cref="MaxRequestHeadersBytes"/> or
/// <see cref="MaxRequestHeaderCount"/>.
/// </summary>
/// <remarks>
/// Kestrel answers these itself, with an empty body, before any middleware runs, and its answers cannot be changed.
/// So Kestrel's own limits (<c>MaxRequestLineSize</c>, <c>MaxRequestHeadersTotalSize</c>,
/// <c>MaxRequestHeaderCount</c>) are set to twice these: a head between the two gets a ProblemDetails answer that
/// names the limit, one past twice the limit Kestrel's bare 414 or 431 (it is not read into memory at all). The
/// defaults are Kestrel's own defaults. A <c>Kestrel:Limits</c> value for these three is replaced.
/// </remarks>
public sealed class RequestHeadLimitsOptions
{
    public const string SectionName = "Lattice:RequestLimits";

    /// <summary>Method, target (path and query as sent) and protocol, with the two spaces between them; above it 414.</summary>
    [Range(256, 1024 * 1024)]
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>Header names and values, plus 4 bytes per header line (<c>": "</c> and the line end); above it 431.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>Header lines (a name sent twice counts twice); above it 431.</summary>
    [Range(1, 10_000)]
    public int MaxRequestHeaderCount { get; set; } = 100;
}
