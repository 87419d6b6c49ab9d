namespace Lattice.Gateway.Auth;

/// <summary>
/// The scopes a key or token can carry: <c>predict:&lt;service&gt;</c>, <c>predict:*</c>, <c>pipelines:run</c>
/// and <c>admin</c>, which grants everything.
/// </summary>
public static class Scopes
{
    public const string Admin = "admin";
    public const string PipelinesRun = "pipelines:run";
    public const string PredictAll = "predict:*";
    public const string PredictPrefix = "predict:";

    /// <summary>Route scope meaning "no key needed".</summary>
    public const string Anonymous = "anonymous";

    public static string Predict(string service) => PredictPrefix + service.ToLowerInvariant();

    /// <summary>True for a scope a key may hold.</summary>
    public static bool IsValid(string scope)
    {
        if (scope is Admin or PipelinesRun or PredictAll)
        {
            return true;
        }

        if (!scope.StartsWith(PredictPrefix, StringComparison.Ordinal) || scope.Length == PredictPrefix.Length)
        {
            return false;
        }

        foreach (var c in scope.AsSpan(PredictPrefix.Length))
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="granted"/> lets its holder call a route that needs <paramref name="required"/>.</summary>
    public static bool Allows(string[] granted, string required)
    {
        foreach (var scope in granted)
        {
            if (string.Equals(scope, required, StringComparison.Ordinal) || scope == Admin
                || (scope == PredictAll && required.StartsWith(PredictPrefix, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
