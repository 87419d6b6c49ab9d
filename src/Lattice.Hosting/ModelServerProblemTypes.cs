using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

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

/// <summary>Titles of the typed model APIs' problems, one per <see cref="ModelServerProblemTypes"/> type (in addition to <see cref="ProblemTitles"/>).</summary>
public static class ModelServerProblemTitles
{
    /// <summary>400 <see cref="ModelServerProblemTypes.InvalidInput"/>.</summary>
    public const string InvalidInput = "Invalid input";

    /// <summary>400 <see cref="ModelServerProblemTypes.LimitExceeded"/>.</summary>
    public const string LimitExceeded = "Limit exceeded";

    /// <summary>404 <see cref="ModelServerProblemTypes.ModelNotFound"/>.</summary>
    public const string ModelNotFound = "Model not found";

    /// <summary>404 <see cref="ModelServerProblemTypes.VersionNotFound"/>.</summary>
    public const string VersionNotFound = "Model version not found";

    /// <summary>503 <see cref="ModelServerProblemTypes.ModelNotReady"/>.</summary>
    public const string ModelNotReady = "Model not ready";
}

/// <summary>Response headers every inference response carries.</summary>
public static class ModelServerHeaders
{
    /// <summary>The version that answered.</summary>
    public const string ModelVersion = "X-Model-Version";

    /// <summary>Why that version: explicit, default, weighted or sticky.</summary>
    public const string Route = "X-Lattice-Route";
}

/// <summary>Server error answers shared by the APIs.</summary>
internal static class ModelServerProblems
{
    /// <summary>The message of a 500 (the model threw or answered a non-finite number): no exception details, those are only logged.</summary>
    public static string ServerErrorMessage(string model, string? version) =>
        $"Model '{model}'{(version is null ? "" : $" version {version}")} failed to answer this request; the error was logged";

    /// <summary>The 500 ProblemDetails of the typed APIs (it carries the trace id the log line has).</summary>
    public static ProblemHttpResult ServerError(string model, string? version) => TypedResults.Problem(
        ServerErrorMessage(model, version) + " under this problem's trace id.",
        statusCode: StatusCodes.Status500InternalServerError, title: ProblemTitles.Internal, type: ProblemTypes.Internal);
}
