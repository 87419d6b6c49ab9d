using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Lattice.Gateway.Auth;
using Lattice.Gateway.Tests.Forwarding;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lattice.Gateway.Tests.Auth;

public sealed class AuthTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>Four routes, one per kind of scope, all to one echo upstream.</summary>
    private static async Task<(Lattice.Testing.KestrelApp Upstream, GatewayHost Gateway)> StartAsync(
        Dictionary<string, string?>? extra = null, TimeProvider? time = null)
    {
        var upstream = await Upstreams.StartAsync(app => app.Map("/{**path}", () => Results.Text("ok")));
        var replicas = new[] { upstream.BaseAddress };
        var settings = GatewayHost.Route("sentiment", "/api/sentiment", "sentiment", "/v1/sentiment", replicas, scope: null)
            .With(GatewayHost.Route("language", "/api/language", "language", "/v1/language", replicas, scope: null))
            .With(GatewayHost.Route("pipelines", "/api/pipelines", "orchestrator", "/v1/pipelines", replicas, scope: "pipelines:run"))
            .With(GatewayHost.Route("admin", "/api/admin", "controlplane", "/api/admin", replicas, scope: "admin"));
        if (extra is not null)
        {
            settings.With(extra);
        }

        return (upstream, await GatewayHost.StartAsync(settings, time));
    }

    [Theory]
    [InlineData("predict:sentiment", "/api/sentiment", HttpStatusCode.OK)]
    [InlineData("predict:sentiment", "/api/language", HttpStatusCode.Forbidden)]
    [InlineData("predict:sentiment", "/api/pipelines/x", HttpStatusCode.Forbidden)]
    [InlineData("predict:sentiment", "/api/admin/models", HttpStatusCode.Forbidden)]
    [InlineData("predict:*", "/api/sentiment", HttpStatusCode.OK)]
    [InlineData("predict:*", "/api/language", HttpStatusCode.OK)]
    [InlineData("predict:*", "/api/pipelines/x", HttpStatusCode.Forbidden)]
    [InlineData("predict:*", "/api/admin/models", HttpStatusCode.Forbidden)]
    [InlineData("pipelines:run", "/api/sentiment", HttpStatusCode.Forbidden)]
    [InlineData("pipelines:run", "/api/pipelines/x", HttpStatusCode.OK)]
    [InlineData("pipelines:run", "/api/admin/models", HttpStatusCode.Forbidden)]
    [InlineData("admin", "/api/sentiment", HttpStatusCode.OK)]
    [InlineData("admin", "/api/pipelines/x", HttpStatusCode.OK)]
    [InlineData("admin", "/api/admin/models", HttpStatusCode.OK)]
    public async Task Authorize_ScopeAgainstRoute_AllowsOrForbids(string scope, string path, HttpStatusCode expected)
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        var key = await sut.CreateKeyAsync([scope]);
        using var client = sut.CreateClient(key);

        var response = await client.GetAsync(path, Ct);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Forbidden)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(ProblemTypes.Forbidden, problem.GetProperty("type").GetString());
            Assert.Equal("Insufficient scope", problem.GetProperty("title").GetString());
            var challenge = response.Headers.WwwAuthenticate.Single();
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.StartsWith("error=\"insufficient_scope\", scope=\"", challenge.Parameter, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("lat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-key")]
    public async Task Authenticate_MissingOrUnknownKey_Returns401Problem(string? key)
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var client = sut.CreateClient(key);

        var response = await client.GetAsync("/api/sentiment", Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ProblemTypes.Unauthorized, problem.GetProperty("type").GetString());
        Assert.Equal("Unauthorized", problem.GetProperty("title").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Authenticate_XApiKeyHeader_IsAccepted()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        var key = await sut.CreateKeyAsync(["predict:sentiment"]);
        using var client = sut.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        var response = await client.GetAsync("/api/sentiment", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("X-Api-Key: lat_wrong\r\nX-Api-Key: lat_wrong_too\r\nAuthorization: Bearer {key}\r\n")]
    [InlineData("X-Api-Key: \r\n")]
    [InlineData("X-Api-Key: Bearer {key}\r\n")]
    [InlineData("Authorization: Bearer {key}\r\nAuthorization: Bearer {key}\r\n")]
    public async Task Authenticate_AmbiguousOrMalformedCredentials_Return401Invalid(string credentials)
    {
        // Before: two X-Api-Key lines fell through to a valid Authorization (200); an empty X-Api-Key or two
        // Authorization lines read as "no key sent". Raw HTTP: HttpClient would join repeated headers into one line.
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        var key = await sut.CreateKeyAsync(["predict:sentiment"]);

        var (status, body) = await RawHttp.SendAsync(sut.BaseAddress,
            "GET /api/sentiment HTTP/1.1\r\nHost: x\r\n" + credentials.Replace("{key}", key, StringComparison.Ordinal) + "\r\n", Ct);

        Assert.Equal(401, status);
        Assert.Contains("The API key or token is not valid.", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authenticate_ExpiredKey_Returns401SayingExpired()
    {
        var time = new ManualTimeProvider();
        var (upstream, sut) = await StartAsync(time: time);
        await using var _ = upstream;
        await using var __ = sut;
        var key = await sut.CreateKeyAsync(["predict:*"], expiresAt: time.GetUtcNow().AddMinutes(1));
        using var client = sut.CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/sentiment", Ct)).StatusCode);

        time.Advance(TimeSpan.FromMinutes(2));
        var response = await client.GetAsync("/api/sentiment", Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_HealthAndMetrics_NeedNoKey()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var client = sut.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metrics", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("/gateway/keys")]
    [InlineData("/gateway/upstreams")]
    [InlineData("/metrics")]
    public async Task Head_OnGatewayGetEndpoints_AnswersAsGetWithoutABody(string path)
    {
        // RFC 9110 §9.3.2: HEAD wherever GET is allowed. Before: 405.
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);
        using var anonymous = sut.CreateClient();

        var get = await admin.GetAsync(path, Ct);
        using var head = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), Ct);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));
        if (path.StartsWith("/gateway/", StringComparison.Ordinal))
        {
            using var refused = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode); // HEAD needs the admin scope as GET does
        }
    }

    [Fact]
    public async Task KeysApi_CreateUseListRevoke_RoundTrips()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);

        var created = await admin.PostAsJsonAsync("/gateway/keys", new { name = "analytics", scopes = new[] { "predict:sentiment" } }, Ct);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var secret = body.GetProperty("secret").GetString()!;
        var id = body.GetProperty("key").GetProperty("id").GetString()!;
        using var caller = sut.CreateClient(secret);
        var before = await caller.GetAsync("/api/sentiment", Ct);
        var listed = await admin.GetStringAsync("/gateway/keys", Ct);
        var revoked = await admin.DeleteAsync($"/gateway/keys/{id}", Ct);
        var after = await caller.GetAsync("/api/sentiment", Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith(ApiKeyFormat.Prefix, secret, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Contains(id, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task KeysApi_RevokeWhileTheKeyIsBeingLookedUp_TakesEffectAtOnce()
    {
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/s", () => "ok"));
        await using var sut = await GatewayHost.StartAsync(
            GatewayHost.Route("s", "/api/s", "s", "/v1/s", [upstream.BaseAddress], scope: null),
            services: services => services.AddSingleton<IApiKeyStore>(provider => new GatedStore(ActivatorUtilities.CreateInstance<SqliteApiKeyStore>(provider))));
        var store = (GatedStore)sut.Services.GetRequiredService<IApiKeyStore>();
        var (record, key) = await sut.Services.GetRequiredService<ApiKeyService>().CreateAsync("victim", ["predict:s"], null, null, null, Ct);
        using var client = sut.CreateClient(key);
        using var admin = sut.CreateClient(sut.AdminKey);

        // A request with the key reads its record (not revoked yet) from the store; the key is revoked through this
        // gateway while that lookup is still on its way; then the lookup completes.
        store.Arm(ApiKeyFormat.Hash(key));
        var inFlight = client.GetAsync("/api/s", Ct);
        await store.Read.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var revoke = await admin.DeleteAsync($"/gateway/keys/{record.Id}", Ct);
        store.Release.TrySetResult();
        await inFlight;
        var after = await client.GetAsync("/api/s", Ct);

        // Before: the lookup cached the record it read, and the revoked key kept working for KeyCacheDuration.
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task KeyCache_OneKeyRefreshedManyTimes_CountsAsOneEntry()
    {
        var time = new ManualTimeProvider();
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/v1/s", () => "ok"));
        var settings = GatewayHost.Route("s", "/api/s", "s", "/v1/s", [upstream.BaseAddress], scope: null)
            .With("Lattice:Gateway:Auth:KeyCacheDuration", "00:00:01");
        await using var sut = await GatewayHost.StartAsync(settings, time);
        using var client = sut.CreateClient(await sut.CreateKeyAsync(["predict:s"]));
        var authenticator = sut.Services.GetRequiredService<GatewayAuthenticator>();

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/s", Ct)).StatusCode);
            time.Advance(TimeSpan.FromSeconds(2)); // the entry is stale: the next request reads the store again
        }

        // The count decides when the whole cache is dropped (past 100,000): it must count entries, not refreshes.
        Assert.Equal(1, authenticator.CachedKeys);
        Assert.Equal(1, authenticator.CountedKeys);
    }

    [Fact]
    public async Task KeysApi_NonAdminOrNoKey_Returns403Or401()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        var key = await sut.CreateKeyAsync(["predict:*"]);
        using var anonymous = sut.CreateClient();
        using var predictor = sut.CreateClient(key);

        using var invalid = sut.CreateClient("lat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

        var missing = await anonymous.GetAsync("/gateway/keys", Ct);
        var wrong = await invalid.GetAsync("/gateway/keys", Ct);
        var forbidden = await predictor.GetAsync("/gateway/keys", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Null(missing.Headers.WwwAuthenticate.Single().Parameter);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("error=\"invalid_token\"", wrong.Headers.WwwAuthenticate.Single().Parameter);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("error=\"insufficient_scope\", scope=\"admin\"", forbidden.Headers.WwwAuthenticate.Single().Parameter);
    }

    [Fact]
    public async Task KeysApi_NonAdminOrNoKey_IsRefusedBeforeTheBodyIsRead()
    {
        // The scope is checked before the body is bound: a malformed body from a caller who may not call the API is a
        // 401 or 403, never the JSON parser's 400.
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        var key = await sut.CreateKeyAsync(["predict:*"]);
        using var anonymous = sut.CreateClient();
        using var predictor = sut.CreateClient(key);

        var missing = await anonymous.PostAsync("/gateway/keys", new StringContent("{bad", System.Text.Encoding.UTF8, "application/json"), Ct);
        var forbidden = await predictor.PostAsync("/gateway/keys", new StringContent("{bad", System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task KeysApi_UnknownScope_Returns400Problem()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);

        var response = await admin.PostAsJsonAsync("/gateway/keys", new { name = "x", scopes = new[] { "root" } }, Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ProblemTypes.Validation, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task KeyStore_SecretsAreStoredOnlyAsHashes()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        var key = await sut.CreateKeyAsync(["predict:*"]);
        var store = (SqliteApiKeyStore)sut.Services.GetRequiredService<IApiKeyStore>();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var bytes = await File.ReadAllBytesAsync(store.FilePath, Ct);
        var wal = File.Exists(store.FilePath + "-wal") ? await File.ReadAllBytesAsync(store.FilePath + "-wal", Ct) : [];

        var secretPart = System.Text.Encoding.UTF8.GetBytes(key[12..]);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(secretPart));
        Assert.Equal(-1, wal.AsSpan().IndexOf(secretPart));
        Assert.Equal(HttpStatusCode.OK, (await sut.CreateClient(key).GetAsync("/api/sentiment", Ct)).StatusCode);
    }

    [Fact]
    public async Task Bootstrap_NoConfiguredKey_GeneratesAndPrintsOnlyOnce()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        var folder = Path.Combine(Path.GetTempPath(), "lattice-gateway-tests", Guid.NewGuid().ToString("N"));
        var options = Microsoft.Extensions.Options.Options.Create(new AuthOptions { DataFolder = folder });
        var environment = sut.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostEnvironment>();
        var store = new SqliteApiKeyStore(options, environment);
        var authenticator = new GatewayAuthenticator(store, new JwtValidator(options, TimeProvider.System), options, TimeProvider.System);
        var keys = new ApiKeyService(store, authenticator, options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ApiKeyService>.Instance);
        using var first = new StringWriter();
        using var second = new StringWriter();

        await keys.InitializeAsync(first, Ct);
        await keys.InitializeAsync(second, Ct);

        var printed = first.ToString().Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Single(w => w.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal));
        Assert.Equal(string.Empty, second.ToString());
        var stored = Assert.Single(await store.ListAsync(Ct));
        Assert.Equal([Scopes.Admin], stored.Scopes);
        Assert.Equal(ApiKeyFormat.Hash(printed).ToArray(), stored.Hash);
    }

    [Fact]
    public async Task Jwt_ValidTokenWithScope_IsAuthorizedAndOthersAreNot()
    {
        var secret = new byte[32];
        Random.Shared.NextBytes(secret);
        var (upstream, sut) = await StartAsync(new Dictionary<string, string?>
        {
            ["Lattice:Gateway:Auth:Jwt:Issuer"] = "https://login.example",
            ["Lattice:Gateway:Auth:Jwt:Audience"] = "lattice",
            ["Lattice:Gateway:Auth:Jwt:SigningKeys:0"] = Convert.ToBase64String(secret),
        });
        await using var _ = upstream;
        await using var __ = sut;
        string Token(string scope, string audience = "lattice", byte[]? key = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://login.example",
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", "user-1"), new Claim("scope", scope)]),
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? secret), SecurityAlgorithms.HmacSha256),
        });

        using var good = sut.CreateClient(Token("predict:sentiment pipelines:run"));
        using var wrongScope = sut.CreateClient(Token("pipelines:run"));
        using var wrongAudience = sut.CreateClient(Token("predict:sentiment", audience: "other"));
        using var wrongKey = sut.CreateClient(Token("predict:sentiment", key: new byte[32]));

        Assert.Equal(HttpStatusCode.OK, (await good.GetAsync("/api/sentiment", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await wrongScope.GetAsync("/api/sentiment", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongAudience.GetAsync("/api/sentiment", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongKey.GetAsync("/api/sentiment", Ct)).StatusCode);
    }

    [Fact]
    public async Task Jwt_CallerIdentity_IsTheSubjectElseTheClientElseTheToken()
    {
        var tokens = new SignedTokens();
        var validator = tokens.Validator();
        string Token(DateTime expires, params Claim[] claims) => tokens.Create(expires.AddHours(-2), expires, claims);
        var soon = DateTime.UtcNow.AddMinutes(5);

        var user = await validator.ValidateAsync(Token(soon, new Claim("sub", "user-1")));
        var client = await validator.ValidateAsync(Token(soon, new Claim("client_id", "billing")));
        var first = await validator.ValidateAsync(Token(soon, new Claim("jti", "1")));
        var second = await validator.ValidateAsync(Token(soon, new Claim("jti", "2")));
        var expired = await validator.ValidateAsync(Token(DateTime.UtcNow.AddHours(-1), new Claim("sub", "user-1")));

        Assert.Equal("jwt:sub:user-1", user.Principal?.Id);
        Assert.Equal("jwt:client:billing", client.Principal?.Id);
        Assert.StartsWith("jwt:token:", first.Principal?.Id, StringComparison.Ordinal);
        Assert.NotEqual(first.Principal?.Id, second.Principal?.Id);
        Assert.Null(expired.Principal);
        Assert.Equal(AuthFailure.Expired, expired.Failure);
    }

    [Theory]
    [InlineData("""{"name": "x", "scopes": ["admin"], "permitsPerSecond": 1e309}""")]
    [InlineData("""{"name": "x", "scopes": ["admin"], "permitsPerSecond": "NaN"}""")]
    [InlineData("""{"name": "x", "scopes": ["admin"], "permitsPerSecond": 1e-300}""")]
    [InlineData("""{"name": "x", "scopes": ["admin"], "permitsPerSecond": 20000000}""")]
    [InlineData("""{"name": "x", "scopes": ["admin"], "burst": 0}""")]
    [InlineData("""{"name": "x", "scopes": [null]}""")]
    public async Task KeysApi_LimitOutOfRangeOrNullScope_Returns400AndStoresNothing(string body)
    {
        // Before: an infinite rate was stored, then every listing failed (500) for good; a null scope was a 500.
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);

        var response = await admin.PostAsync("/gateway/keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        var listed = await admin.GetAsync("/gateway/keys", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Single((await listed.Content.ReadFromJsonAsync<JsonElement>(Ct)).EnumerateArray()); // the bootstrap key only
    }

    [Theory]
    [InlineData(1_000_008, 1, HttpStatusCode.BadRequest)] // predict: and a million characters
    [InlineData(201, 1, HttpStatusCode.BadRequest)]
    [InlineData(200, 1, HttpStatusCode.Created)]
    [InlineData(20, 65, HttpStatusCode.BadRequest)]
    [InlineData(20, 64, HttpStatusCode.Created)]
    public async Task KeysApi_ScopeTooLongOrTooMany_Returns400WithErrorsAndStoresNothing(int scopeLength, int count, HttpStatusCode expected)
    {
        // Before: any length and any number were stored, listed and logged in full (a 1 MB scope was a 201).
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);
        var scopes = Enumerable.Range(0, count).Select(i => ("predict:s" + i).PadRight(scopeLength, 'a')).ToArray();

        var response = await admin.PostAsJsonAsync("/gateway/keys", new { name = "x", scopes }, Ct);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/gateway/keys", Ct);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.BadRequest)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(ProblemTypes.Validation, problem.GetProperty("type").GetString());
            Assert.Single(problem.GetProperty("errors").GetProperty("scopes").EnumerateArray());
            Assert.True(problem.GetRawText().Length < 2000, "the refusal must not echo the scopes");
            Assert.Single(listed.EnumerateArray()); // the bootstrap key only
        }
        else
        {
            Assert.Equal(scopes, listed.EnumerateArray().Last().GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        }
    }

    [Theory]
    [InlineData("""{"name": "", "scopes": ["admin"]}""", "name")]
    [InlineData("""{"name": "x", "scopes": []}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": ["root"]}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": ["admin"], "expiresAt": "2000-01-01T00:00:00Z"}""", "expiresAt")]
    [InlineData("""{"name": "x", "scopes": ["admin"], "burst": 0}""", "burst")]
    public async Task KeysApi_InvalidField_Returns400WithErrorsNamingIt(string body, string field)
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);

        var response = await admin.PostAsync("/gateway/keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ProblemTypes.Validation, problem.GetProperty("type").GetString());
        Assert.Equal("Invalid key request", problem.GetProperty("title").GetString());
        var message = Assert.Single(problem.GetProperty("errors").GetProperty(field).EnumerateArray()).GetString();
        Assert.Equal(problem.GetProperty("detail").GetString(), message);
    }

    [Theory]
    [InlineData("zstd")]     // labelled, not compressed: was a 201
    [InlineData("gzip")]     // really gzip: was a JSON parser's 400
    [InlineData("identity, br")]
    public async Task KeysApi_ContentEncodedBody_Returns415AcceptingIdentityOnly(string coding)
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);
        var json = System.Text.Encoding.UTF8.GetBytes("""{"name": "x", "scopes": ["admin"]}""");
        if (coding == "gzip")
        {
            using var compressed = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest))
            {
                gzip.Write(json);
            }

            json = compressed.ToArray();
        }

        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.TryAddWithoutValidation("Content-Encoding", coding);
        var response = await admin.PostAsync("/gateway/keys", content, Ct);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/gateway/keys", Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("identity", string.Join(", ", response.Headers.GetValues("Accept-Encoding")));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Unsupported content encoding", problem.GetProperty("title").GetString());
        Assert.Equal(ProblemTypes.UnsupportedMediaType, problem.GetProperty("type").GetString());
        Assert.Single(listed.EnumerateArray()); // the bootstrap key only
    }

    [Fact]
    public async Task KeysApi_IdentityCodingAndUtf8Charsets_AreAccepted()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);
        var identity = new StringContent("""{"name": "x", "scopes": ["admin"]}""", System.Text.Encoding.UTF8, "application/json");
        identity.Headers.ContentEncoding.Add("identity");
        var ascii = new StringContent("""{"name": "y", "scopes": ["admin"]}""", System.Text.Encoding.UTF8, "application/json");
        ascii.Headers.ContentType!.CharSet = "us-ascii";

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/gateway/keys", identity, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/gateway/keys", ascii, Ct)).StatusCode);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("iso-8859-1")]
    public async Task KeysApi_NonUtf8Charset_Returns415(string charset)
    {
        // Before: ASP.NET Core transcoded the body and the key was created.
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);
        var content = new StringContent("""{"name": "x", "scopes": ["admin"]}""", System.Text.Encoding.GetEncoding(charset), "application/json");

        var response = await admin.PostAsync("/gateway/keys", content, Ct);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/gateway/keys", Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(ProblemTitles.UnsupportedMediaType, problem.GetProperty("title").GetString());
        Assert.Equal(Lattice.ServiceDefaults.Json.JsonCharset.NotUtf8(charset), problem.GetProperty("detail").GetString());
        Assert.False(response.Headers.Contains("Accept-Encoding")); // no coding would help
        Assert.Single(listed.EnumerateArray());
    }

    [Fact]
    public async Task KeysApi_EncodedBodyFromNonAdmin_IsRefusedForTheScopeFirst()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var anonymous = sut.CreateClient();
        using var predictor = sut.CreateClient(await sut.CreateKeyAsync(["predict:*"]));
        HttpContent Body()
        {
            var content = new StringContent("""{"name": "x", "scopes": ["admin"]}""", System.Text.Encoding.Unicode, "application/json");
            content.Headers.ContentEncoding.Add("zstd");
            return content;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/gateway/keys", Body(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await predictor.PostAsync("/gateway/keys", Body(), Ct)).StatusCode);
    }

    [Theory]
    [InlineData("""{"name": 5, "scopes": ["admin"]}""", "'name'")]
    [InlineData("""{"name": "x", "scopes": "admin"}""", "'scopes'")]
    [InlineData("""{"name": "x", "name": "y", "scopes": ["admin"]}""", "'name' appears more than once")]
    [InlineData("""{"name": "x", "scopes": ["admin"]""", "The body is not valid")]
    public async Task KeysApi_MalformedBody_Returns400SayingWhatIsWrong(string body, string expected)
    {
        // Before: a bare 400 for a type error (the reason only in a Debug log line), and a repeated field was last-wins.
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);

        var response = await admin.PostAsync("/gateway/keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString();
        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("CreateKeyRequest", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysApi_RevokingTheConfiguredBootstrapKey_Returns409AndItKeepsWorking()
    {
        var (upstream, sut) = await StartAsync();
        await using var _ = upstream;
        await using var __ = sut;
        using var admin = sut.CreateClient(sut.AdminKey);
        var id = (await admin.GetFromJsonAsync<JsonElement>("/gateway/keys", Ct))[0].GetProperty("id").GetString();

        var revoke = await admin.DeleteAsync($"/gateway/keys/{id}", Ct);
        var after = await admin.GetAsync("/gateway/keys", Ct);

        Assert.Equal(HttpStatusCode.Conflict, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Jwt_WithoutExpiryOrNotYetValid_IsInvalidNotExpired()
    {
        var tokens = new SignedTokens();
        var validator = tokens.Validator();
        string Token(DateTime? notBefore, DateTime? expires) => tokens.Create(notBefore, expires, new Claim("sub", "u"));

        var forever = await validator.ValidateAsync(Token(null, null));
        var early = await validator.ValidateAsync(Token(DateTime.UtcNow.AddHours(1), DateTime.UtcNow.AddHours(2)));
        var good = await validator.ValidateAsync(Token(null, DateTime.UtcNow.AddHours(1)));

        Assert.Null(forever.Principal);
        Assert.Equal(AuthFailure.Invalid, forever.Failure);
        Assert.Null(early.Principal);
        Assert.Equal(AuthFailure.Invalid, early.Failure);
        Assert.NotNull(good.Principal);
    }

    [Theory]
    [InlineData("predict:sentiment", true)]
    [InlineData("predict:*", true)]
    [InlineData("pipelines:run", true)]
    [InlineData("admin", true)]
    [InlineData("predict:", false)]
    [InlineData("predict:Sentiment", false)]
    [InlineData("root", false)]
    public void IsValid_Scope_MatchesTheKnownForms(string scope, bool expected) => Assert.Equal(expected, Scopes.IsValid(scope));

    /// <summary>The real SQLite store; one armed lookup pauses after reading its record until released.</summary>
    private sealed class GatedStore(IApiKeyStore inner) : IApiKeyStore
    {
        private KeyHash? _armed;

        public TaskCompletionSource Read { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Arm(KeyHash hash) => _armed = hash;

        public async Task<ApiKeyRecord?> FindByHashAsync(KeyHash hash, CancellationToken cancellationToken)
        {
            var record = await inner.FindByHashAsync(hash, cancellationToken);
            if (_armed is { } armed && armed == hash)
            {
                _armed = null;
                Read.TrySetResult();
                await Release.Task.WaitAsync(cancellationToken);
            }

            return record;
        }

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task AddAsync(ApiKeyRecord key, CancellationToken cancellationToken) => inner.AddAsync(key, cancellationToken);

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

        public Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken) =>
            inner.RevokeAsync(id, revokedAt, cancellationToken);

        public Task<bool> TrySetMarkerAsync(string name, string value, CancellationToken cancellationToken) =>
            inner.TrySetMarkerAsync(name, value, cancellationToken);
    }
}
