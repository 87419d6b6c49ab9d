using Lattice.Gateway.Auth;
using Lattice.ServiceDefaults.Problems;

namespace Lattice.Gateway.Apis;

/// <summary>Marks an endpoint of the gateway's own API as open only to callers holding <see cref="Scopes.Admin"/>.</summary>
internal sealed class RequiresAdminScope
{
    public static readonly RequiresAdminScope Instance = new();
}

/// <summary>
/// Lets through to an endpoint marked <see cref="RequiresAdminScope"/> only callers whose key or token holds
/// <see cref="Scopes.Admin"/>: 401 without one, 403 with another. It runs between routing and the endpoint, as
/// ASP.NET Core's authorization middleware does, so nothing of the request is read for a caller who may not call it
/// (an endpoint filter runs after the body has been bound: anonymous callers got the JSON parser's errors, and made
/// the gateway read bodies up to the size limit).
/// </summary>
internal sealed class AdminScopeMiddleware(RequestDelegate next, GatewayAuthenticator authenticator)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresAdminScope>() is null)
        {
            await next(context);
            return;
        }

        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        if (auth.Principal is null)
        {
            context.Response.Headers.WWWAuthenticate = AuthChallenge.For(auth.Failure);
            await ProblemAsync(context, StatusCodes.Status401Unauthorized, ProblemTitles.Unauthorized,
                auth.Failure == AuthFailure.Missing ? "An admin API key is required." : AuthChallenge.Detail(auth.Failure));
            return;
        }

        if (!auth.Principal.Allows(Scopes.Admin))
        {
            context.Response.Headers.WWWAuthenticate = AuthChallenge.InsufficientScope(Scopes.Admin);
            await ProblemAsync(context, StatusCodes.Status403Forbidden, ProblemTitles.InsufficientScope, "This endpoint needs the scope 'admin'.");
            return;
        }

        await next(context);
    }

    private static Task ProblemAsync(HttpContext context, int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: ProblemTypes.ForStatus(status)).ExecuteAsync(context);
}

internal static class AdminScopeExtensions
{
    /// <summary>Open only to admin callers (see <see cref="AdminScopeMiddleware"/>).</summary>
    public static TBuilder RequireAdminScope<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RequiresAdminScope.Instance);
}
