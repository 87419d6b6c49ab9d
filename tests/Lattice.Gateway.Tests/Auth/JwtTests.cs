using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Auth;

/// <summary>JWTs through a real gateway: lifetime edges and JOSE headers the gateway must refuse.</summary>
public sealed class JwtTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>A gateway that trusts <paramref name="tokens"/>, with one route (scope predict:sentiment) to an upstream answering "ok".</summary>
    private static async Task<(Lattice.Testing.KestrelApp Upstream, GatewayHost Gateway)> StartAsync(SignedTokens tokens)
    {
        var upstream = await Upstreams.StartAsync(app => app.Map("/{**path}", () => Results.Text("ok")));
        var settings = GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/", [upstream.BaseAddress], scope: null)
            .With(tokens.Settings());
        return (upstream, await GatewayHost.StartAsync(settings));
    }

    [Theory]
    [InlineData(253402300770L)] // within the default 30 s ClockSkew of DateTime.MaxValue (253402300799.9999999)
    [InlineData(253402300799L)] // the last second DateTime can hold
    public async Task Jwt_ExpiryWithinClockSkewOfDateTimeMax_IsAccepted(long exp)
    {
        // Before: exp + ClockSkew overflowed DateTime, and the token was refused as invalid.
        var tokens = new SignedTokens();
        var (upstream, sut) = await StartAsync(tokens);
        await using var _ = upstream;
        await using var __ = sut;
        using var client = sut.CreateClient(tokens.CreateRaw("""{"alg":"HS256","typ":"JWT"}""", SignedTokens.Payload(exp)));

        var response = await client.GetAsync("/api/sentiment", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Jwt_ExpiredBeyondClockSkew_IsStillRefusedAsExpired()
    {
        // The overflow-safe comparison keeps the old boundary: 31 s past exp with a 30 s skew is expired.
        var tokens = new SignedTokens();
        var (upstream, sut) = await StartAsync(tokens);
        await using var _ = upstream;
        await using var __ = sut;
        var exp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 31;
        using var client = sut.CreateClient(tokens.CreateRaw("""{"alg":"HS256","typ":"JWT"}""", SignedTokens.Payload(exp)));

        var response = await client.GetAsync("/api/sentiment", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("expired", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"alg":"HS256","typ":"JWT","crit":["x"],"x":1}""")] // an extension the gateway does not understand
    [InlineData("""{"alg":"HS256","typ":"JWT","crit":["x"]}""")]       // names a parameter the header lacks
    [InlineData("""{"alg":"HS256","typ":"JWT","crit":[]}""")]          // RFC 7515 §4.1.11: must not be empty
    [InlineData("""{"alg":"HS256","typ":"JWT","crit":"x","x":1}""")]   // not an array
    [InlineData("""{"alg":"HS256","typ":"JWT","crit":[1]}""")]         // not strings
    [InlineData("""{"alg":"HS256","typ":"JWT","crit":null}""")]
    public async Task Jwt_CritHeader_Returns401InvalidToken(string header)
    {
        // Before: the header was ignored and the token accepted (RFC 7515 §4.1.11: a recipient that does not understand
        // every extension crit lists must refuse the JWS).
        var tokens = new SignedTokens();
        var (upstream, sut) = await StartAsync(tokens);
        await using var _ = upstream;
        await using var __ = sut;
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        using var critical = sut.CreateClient(tokens.CreateRaw(header, SignedTokens.Payload(exp)));
        using var plain = sut.CreateClient(tokens.CreateRaw("""{"alg":"HS256","typ":"JWT","x":1}""", SignedTokens.Payload(exp)));

        var refused = await critical.GetAsync("/api/sentiment", Ct);
        var accepted = await plain.GetAsync("/api/sentiment", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString());
        Assert.Equal("The API key or token is not valid.", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode); // an unknown header parameter not marked critical is ignored
    }
}
