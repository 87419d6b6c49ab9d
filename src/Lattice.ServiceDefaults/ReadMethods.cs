using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults;

/// <summary>The methods of a read endpoint: GET and HEAD (RFC 9110 §9.3.2: HEAD wherever GET is allowed).</summary>
public static class ReadMethods
{
    /// <summary>
    /// For <c>MapMethods(pattern, ReadMethods.GetAndHead, handler)</c>: one endpoint, so its conventions (scope, name)
    /// hold for both methods; Kestrel sends no body for a HEAD. <c>MapGet</c> alone makes HEAD a 405.
    /// </summary>
    public static readonly IReadOnlyList<string> GetAndHead = [HttpMethods.Get, HttpMethods.Head];
}
