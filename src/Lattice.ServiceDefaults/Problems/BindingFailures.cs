using System.Text.Json;
using System.Text.RegularExpressions;
using Lattice.ServiceDefaults.Json;
using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// Says in the client's words why a minimal API could not bind a request. ASP.NET Core's messages name the handler's
/// parameters with their .NET types (<c>Failed to read parameter "CreateKeyRequest request" from the request body as
/// JSON.</c>); a client needs the JSON path and what belongs there instead.
/// </summary>
internal static partial class BindingFailures
{
    public static string Describe(BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            return JsonErrors.IsTooDeep(json) ? "The JSON body nests too deeply." : "The body is not valid: " + JsonErrors.Describe(json);
        }

        var message = exception.Message;
        if (RequiredParameter().Match(message) is { Success: true } required)
        {
            return required.Groups["source"].Value == "body"
                ? "The request needs a JSON body."
                : $"'{required.Groups["name"].Value}' is required (from the {required.Groups["source"].Value}).";
        }

        if (ImplicitBodyMissing().IsMatch(message))
        {
            return "The request needs a JSON body.";
        }

        if (UnboundParameter().Match(message) is { Success: true } unbound)
        {
            return $"'{unbound.Groups["name"].Value}' cannot be \"{unbound.Groups["value"].Value}\".";
        }

        return message;
    }

    // Required parameter "int count" was not provided from query string.
    [GeneratedRegex("""^Required parameter "(?:\S+ )?(?<name>[^" ]+)" was not provided from (?:the )?(?<source>[^.]+)\.""")]
    private static partial Regex RequiredParameter();

    // Implicit body inferred for parameter "CreateKeyRequest request" but no body was provided. Did you mean ...?
    [GeneratedRegex("""^Implicit body inferred for parameter "[^"]*" but no body was provided""")]
    private static partial Regex ImplicitBodyMissing();

    // Failed to bind parameter "int count" from "abc".
    [GeneratedRegex("""^Failed to bind parameter "(?:\S+ )?(?<name>[^" ]+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex UnboundParameter();
}
