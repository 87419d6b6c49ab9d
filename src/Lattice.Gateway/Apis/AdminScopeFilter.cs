using Lattice.Gateway.Auth;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lattice.Gateway.Apis;

/// <summary>Lets through only callers whose key or token holds <see cref="Scopes.Admin"/>: 401 without one, 403 with another.</summary>
internal sealed class AdminScopeFilter(GatewayAuthenticator authenticator) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var auth = await authenticator.AuthenticateAsync(http.Request, http.RequestAborted);
        if (auth.Principal is null)
        {
            http.Response.Headers.WWWAuthenticate = AuthChallenge.For(auth.Failure);
            return Problem(StatusCodes.Status401Unauthorized, "Unauthorized",
                auth.Failure == AuthFailure.Missing ? "An admin API key is required." : AuthChallenge.Detail(auth.Failure));
        }

        if (auth.Principal.Allows(Scopes.Admin))
        {
            return await next(context);
        }

        http.Response.Headers.WWWAuthenticate = AuthChallenge.InsufficientScope(Scopes.Admin);
        return Problem(StatusCodes.Status403Forbidden, "Insufficient scope", "This endpoint needs the scope 'admin'.");
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: ProblemTypes.ForStatus(status));
}
