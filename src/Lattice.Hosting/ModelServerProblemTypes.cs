using Lattice.ServiceDefaults.Problems;

namespace Lattice.Hosting;

/// <summary>Stable ProblemDetails types of the typed model APIs (in addition to <see cref="ProblemTypes"/>).</summary>
public static class ModelServerProblemTypes
{
    /// <summary>400: the input is malformed or does not fit the model.</summary>
    public const string InvalidInput = ProblemTypes.BaseUri + "invalid-input";

    /// <summary>400: a configured request limit was crossed (text length, batch size, tensor elements, JSON depth).</summary>
    public const string LimitExceeded = ProblemTypes.BaseUri + "limit-exceeded";

    /// <summary>404: no such model.</summary>
    public const string ModelNotFound = ProblemTypes.BaseUri + "model-not-found";

    /// <summary>404: the model has no loaded version by that name.</summary>
    public const string VersionNotFound = ProblemTypes.BaseUri + "model-version-not-found";

    /// <summary>503: no version of the model is loaded yet.</summary>
    public const string ModelNotReady = ProblemTypes.BaseUri + "model-not-ready";
}

/// <summary>Response headers every inference response carries.</summary>
public static class ModelServerHeaders
{
    /// <summary>The version that answered.</summary>
    public const string ModelVersion = "X-Model-Version";

    /// <summary>Why that version: explicit, default, weighted or sticky.</summary>
    public const string Route = "X-Lattice-Route";
}
