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
}
