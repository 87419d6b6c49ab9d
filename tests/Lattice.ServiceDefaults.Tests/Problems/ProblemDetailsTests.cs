using System.Net;
using System.Text.Json;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults.Tests.Problems;

public sealed class ProblemDetailsTests
{
    private sealed record Payload(string Text);

    private static Task<Lattice.Testing.KestrelApp> StartAsync(string environment = "Production") => TestApps.StartAsync(
        app =>
        {
            app.MapGet("/boom", string () => throw new InvalidOperationException("secret internals"));
            app.MapGet("/domain", string () => throw new LatticeProblemException(
                StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Version exists", "Version 3 of sentiment already exists."));
            app.MapPost("/echo", (Payload payload) => payload.Text);
            app.MapPost("/accepts-json", (HttpContext context) => Results.Ok()).Accepts<Payload>("application/json");
            app.MapGet("/count", (int count) => count);
            app.MapGet("/bare-status", async () =>
            {
                await Task.Yield(); // the answer completes after the middleware's synchronous check
                return Results.StatusCode(StatusCodes.Status409Conflict);
            });
            app.MapGet("/typed-problem", () => TypedResults.Problem("The text is empty.", statusCode: StatusCodes.Status400BadRequest));
            app.MapGet("/skip-metadata", () => Results.StatusCode(StatusCodes.Status409Conflict)).WithMetadata(new SkipStatusPages());
            app.MapGet("/skip-call", (HttpContext context) =>
            {
                StatusCodeProblems.Skip(context);
                return Results.StatusCode(StatusCodes.Status409Conflict);
            });
            app.MapGet("/typed-empty", (HttpContext context) =>
            {
                context.Response.StatusCode = StatusCodes.Status409Conflict;
                context.Response.ContentType = "application/json"; // says what it is: not bodiless by accident
            });
            app.MapGet("/sized-empty", (HttpContext context) =>
            {
                context.Response.StatusCode = StatusCodes.Status409Conflict;
                context.Response.ContentLength = 0;
            });
        },
        environment: environment);

    [Fact]
    public async Task UnknownRoute_Returns404ProblemWithStableTypeAndTraceId()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/nowhere", TestContext.Current.CancellationToken);

        var problem = await AssertProblemAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        Assert.Equal(32, problem.GetProperty("traceId").GetString()!.Length);
    }

    [Fact]
    public async Task MalformedJsonBody_Returns400Problem()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var content = new StringContent("{\"text\": ", System.Text.Encoding.UTF8, "application/json");

        var response = await client.PostAsync("/echo", content, TestContext.Current.CancellationToken);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, ProblemTypes.BadRequest);
    }

    [Theory]
    [InlineData("POST", "/echo", "{\"text\": 5}", "application/json", 400, "The body is not valid: 'text' ")]
    [InlineData("POST", "/echo", "{\"text\": ", "application/json", 400, "The body is not valid: ")]
    [InlineData("POST", "/echo", "", "application/json", 400, "The request needs a JSON body.")]
    [InlineData("GET", "/count?count=abc", null, null, 400, "'count' cannot be \"abc\".")]
    [InlineData("GET", "/count", null, null, 400, "'count' is required (from the query string).")]
    public async Task BindingFailure_SaysWhatIsWrong_WithoutTheHandlersDotNetTypes(
        string method, string path, string? body, string? contentType, int status, string detail)
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType!);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        var problem = await AssertProblemAsync(response, (HttpStatusCode)status, ProblemTypes.ForStatus(status));
        var text = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith(detail, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Payload", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Int32", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnhandledException_Returns500ProblemWithoutStackTraceOrMessage()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/boom", TestContext.Current.CancellationToken);

        var problem = await AssertProblemAsync(response, HttpStatusCode.InternalServerError, ProblemTypes.Internal);
        var raw = problem.GetRawText();
        Assert.DoesNotContain("secret internals", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DomainException_KeepsItsStatusTypeAndDetail()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/domain", TestContext.Current.CancellationToken);

        var problem = await AssertProblemAsync(response, HttpStatusCode.Conflict, ProblemTypes.Conflict);
        Assert.Equal("Version exists", problem.GetProperty("title").GetString());
        Assert.Equal("Version 3 of sentiment already exists.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WrongMethod_Returns405Problem()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        var response = await client.DeleteAsync("/echo", TestContext.Current.CancellationToken);

        var problem = await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, ProblemTypes.MethodNotAllowed);
        Assert.Equal("DELETE is not allowed here; allowed: POST.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task BodyOfATypeTheEndpointDoesNotAccept_Returns415ProblemNamingTheType()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var body = new StringContent("text", System.Text.Encoding.UTF8, "text/plain");

        var response = await client.PostAsync("/accepts-json", body, TestContext.Current.CancellationToken);

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, ProblemTypes.UnsupportedMediaType);
        Assert.StartsWith("This endpoint does not accept a body of Content-Type 'text/plain; charset=utf-8'",
            problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodilessStatusResult_GetsProblemBody_AlsoWhenTheEndpointCompletesLater()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/bare-status", TestContext.Current.CancellationToken);

        await AssertProblemAsync(response, HttpStatusCode.Conflict, ProblemTypes.Conflict);
    }

    [Theory]
    [InlineData("/skip-metadata")]
    [InlineData("/skip-call")]
    [InlineData("/typed-empty")]
    [InlineData("/sized-empty")]
    public async Task SkippedOrDeclaredEmptyAnswer_KeepsItsBodilessStatus(string path)
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("/nowhere", "text/plain", HttpStatusCode.NotFound)]
    [InlineData("/nowhere", "text/html", HttpStatusCode.NotFound)]
    [InlineData("/typed-problem", "application/xml", HttpStatusCode.BadRequest)]
    public async Task ClientAcceptingNoJson_StillGetsTheWholeProblemJson(string path, string accept, HttpStatusCode status)
    {
        // Before: a text line for the bodiless 404, and the typed problem without instance and traceId.
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(accept);

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        var problem = await AssertProblemAsync(response, status, ProblemTypes.ForStatus((int)status));
        Assert.Equal(path, problem.GetProperty("instance").GetString());
    }

    private sealed class SkipStatusPages : Microsoft.AspNetCore.Http.Metadata.ISkipStatusCodePagesMetadata;

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.True(problem.TryGetProperty("traceId", out _), body);
        return problem;
    }
}
