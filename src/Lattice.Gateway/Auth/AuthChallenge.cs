namespace Lattice.Gateway.Auth;

/// <summary>
/// The <c>WWW-Authenticate</c> challenge and the detail of a refused request (RFC 6750 §3): a 401 says why the
/// credentials failed, a 403 names the scope the route needs.
/// </summary>
internal static class AuthChallenge
{
    public static string For(AuthFailure failure) => failure == AuthFailure.Missing ? "Bearer" : "Bearer error=\"invalid_token\"";

    public static string Detail(AuthFailure failure) => failure switch
    {
        AuthFailure.Missing => "Send an API key in 'Authorization: Bearer <key>' or 'X-Api-Key'.",
        AuthFailure.Expired => "The API key or token has expired.",
        AuthFailure.Revoked => "The API key was revoked.",
        _ => "The API key or token is not valid.",
    };

    public static string InsufficientScope(string scope) => $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
}
