using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// A domain error that becomes a ProblemDetails response with the given status and stable type.
/// For expected failures on hot paths prefer returning a result; this is for the rest.
/// </summary>
public sealed class LatticeProblemException : Exception
{
    public LatticeProblemException(int status, string type, string title, string? detail = null, Exception? innerException = null)
        : base(detail ?? title, innerException)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 599);
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Status = status;
        Type = type;
        Title = title;
        Detail = detail;
    }

    public LatticeProblemException()
        : this(StatusCodes.Status500InternalServerError, ProblemTypes.Internal, "Internal error")
    {
    }

    public LatticeProblemException(string message)
        : this(StatusCodes.Status500InternalServerError, ProblemTypes.Internal, "Internal error", message)
    {
    }

    public LatticeProblemException(string message, Exception innerException)
        : this(StatusCodes.Status500InternalServerError, ProblemTypes.Internal, "Internal error", message, innerException)
    {
    }

    /// <summary>HTTP status code (4xx or 5xx).</summary>
    public int Status { get; }

    /// <summary>Stable problem type URI, usually one of <see cref="ProblemTypes"/>.</summary>
    public string Type { get; }

    /// <summary>Short, human-readable summary that does not change between occurrences.</summary>
    public string Title { get; }

    /// <summary>Explanation specific to this occurrence.</summary>
    public string? Detail { get; }

    /// <summary>Extra members written into the ProblemDetails body.</summary>
    public IDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}
