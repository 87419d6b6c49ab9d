using Lattice.Gateway.Auth;
using Lattice.ServiceDefaults;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lattice.Gateway.Apis;

/// <summary>
/// The gateway's own key management under <c>/gateway/keys</c> (admin scope). <c>/api/admin/keys</c> belongs to
/// the control plane, which will own keys later behind the same <see cref="IApiKeyStore"/>.
/// </summary>
internal static class KeysApi
{
    // A key's own limits take the ranges of the configured defaults (RateLimitOptions).
    private const double MinPermitsPerSecond = 0.001;
    private const double MaxPermitsPerSecond = 10_000_000;
    private const int MaxBurst = 100_000_000;

    // A key's name and each scope are stored, listed and logged whole, so both are bounded. Route service names have no
    // length limit of their own (lattice.yaml's are at most 31 characters), so a scope gets the room a name gets.
    private const int MaxNameLength = 200;
    private const int MaxScopeLength = 200;

    // Far more than the scopes there are to hold (admin and predict:* cover every route), still a bound on a row.
    private const int MaxScopes = 64;

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/gateway/keys").WithTags("Gateway keys").RequireAdminScope();
        group.MapPost("/", CreateAsync).WithName("CreateKey").WithSummary("Creates an API key; the answer is the only time its secret is shown.");
        group.MapMethods("/", ReadMethods.GetAndHead, ListAsync).WithName("ListKeys").WithSummary("Lists keys (never their secrets).");
        group.MapDelete("/{id}", RevokeAsync).WithName("RevokeKey").WithSummary("Revokes a key at once.");
        return endpoints;
    }

    private static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> CreateAsync(
        CreateKeyRequest request, ApiKeyService keys, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (Validate(request, timeProvider.GetUtcNow()) is { } problem)
        {
            // 'errors' names the field (as ASP.NET Core's validation problems do); 'detail' says the same in one line.
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [problem.Field] = [problem.Message] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Invalid key request",
                Type = ProblemTypes.Validation,
                Detail = problem.Message,
            });
        }

        var (record, secret) = await keys.CreateAsync(
            request.Name.Trim(), request.Scopes, request.ExpiresAt, request.PermitsPerSecond, request.Burst, cancellationToken);
        return TypedResults.Created($"/gateway/keys/{record.Id}", new CreatedKey(ToView(record), secret));
    }

    private static async Task<Ok<IReadOnlyList<KeyView>>> ListAsync(ApiKeyService keys, CancellationToken cancellationToken)
    {
        var records = await keys.ListAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<KeyView>>([.. records.Select(ToView)]);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string id, ApiKeyService keys, CancellationToken cancellationToken)
    {
        if (await keys.IsConfiguredBootstrapAsync(id, cancellationToken))
        {
            // Revoked, it would stay revoked across restarts while the configuration (and `lattice up`) still hands it out.
            return TypedResults.Problem(
                $"'{id}' is the bootstrap admin key from configuration (Lattice:Gateway:Auth:BootstrapAdminKey); change or remove that setting to retire it.",
                statusCode: StatusCodes.Status409Conflict, title: "Key comes from configuration", type: ProblemTypes.Conflict);
        }

        return await keys.RevokeAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.Problem($"No key has the id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Key not found", type: ProblemTypes.NotFound);
    }

    private static (string Field, string Message)? Validate(CreateKeyRequest request, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            return ("name", $"'name' must be 1 to {MaxNameLength} characters.");
        }

        if (request.Scopes is null || request.Scopes.Count == 0)
        {
            return ("scopes", "'scopes' must name at least one scope.");
        }

        if (request.Scopes.Count > MaxScopes)
        {
            return ("scopes", $"'scopes' may name at most {MaxScopes} scopes.");
        }

        if (request.Scopes.Any(s => s is null))
        {
            return ("scopes", "'scopes' must hold scope names, not null.");
        }

        // Before the grammar check, which names the offending scope: a refusal never echoes more than this.
        if (request.Scopes.Any(s => s.Length > MaxScopeLength))
        {
            return ("scopes", $"Each scope must be at most {MaxScopeLength} characters.");
        }

        if (request.Scopes.FirstOrDefault(s => !Scopes.IsValid(s)) is { } invalid)
        {
            return ("scopes", $"'{invalid}' is not a scope; use predict:<service>, predict:*, pipelines:run or admin.");
        }

        if (request.ExpiresAt is { } expires && expires <= now)
        {
            return ("expiresAt", "'expiresAt' must be in the future.");
        }

        // The ranges of the configured defaults (RateLimitOptions); NaN fails every comparison, so it is checked first.
        if (request.PermitsPerSecond is { } rate && (double.IsNaN(rate) || rate is < MinPermitsPerSecond or > MaxPermitsPerSecond))
        {
            return ("permitsPerSecond", $"'permitsPerSecond' must be a number from {MinPermitsPerSecond} to {MaxPermitsPerSecond:0}.");
        }

        if (request.Burst is < 1 or > MaxBurst)
        {
            return ("burst", $"'burst' must be an integer from 1 to {MaxBurst}.");
        }

        return null;
    }

    private static KeyView ToView(ApiKeyRecord record) => new(
        record.Id, record.Name, record.DisplayPrefix, record.Scopes, record.CreatedAt, record.ExpiresAt, record.RevokedAt,
        record.PermitsPerSecond, record.Burst);
}
