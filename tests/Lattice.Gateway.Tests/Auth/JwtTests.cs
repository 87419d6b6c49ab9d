using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Auth;

/// <summary>JWTs through a real gateway: lifetime edges.</summary>
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
}
