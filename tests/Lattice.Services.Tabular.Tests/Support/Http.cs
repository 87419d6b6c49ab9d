using System.Net;
using System.Text;
using System.Text.Json;

namespace Lattice.Services.Tabular.Tests.Support;

internal static class Eventually
{
    /// <summary>Polls until the condition holds; the bound only catches hangs.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>A response: status, JSON body (default when empty) and the message for headers.</summary>
internal sealed record Reply(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)
{
    public string? Header(string name) => Response.Headers.TryGetValues(name, out var values) ? values.First() : null;

    public string? ProblemType => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("type", out var type) ? type.GetString() : null;
}

internal static class Http
{
    public const string InvalidInput = "https://lattice.dev/problems/invalid-input";
    public const string LimitExceeded = "https://lattice.dev/problems/limit-exceeded";

    public static async Task<Reply> PostAsync(this HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await client.PostAsync(path, content, TestContext.Current.CancellationToken);
        return new Reply(response.StatusCode, await ReadAsync(response), response);
    }

    public static async Task<Reply> GetJsonAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        return new Reply(response.StatusCode, await ReadAsync(response), response);
    }

    /// <summary>The OIP output called <paramref name="name"/>.</summary>
    public static JsonElement Output(this JsonElement body, string name) =>
        body.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == name);

    public static long[] Shape(this JsonElement tensor) => [.. tensor.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];

    public static double[] Numbers(this JsonElement tensor) => [.. tensor.GetProperty("data").EnumerateArray().Select(d => d.GetDouble())];

    public static string[] Strings(this JsonElement tensor) => [.. tensor.GetProperty("data").EnumerateArray().Select(d => d.GetString()!)];

    /// <summary>Asserts an OIP error: the status and a body that is exactly <c>{"error": "..."}</c>.</summary>
    public static void AssertOipError(this Reply reply, HttpStatusCode status)
    {
        Assert.Equal(status, reply.Status);
        var member = Assert.Single(reply.Body.EnumerateObject());
        Assert.Equal("error", member.Name);
        Assert.False(string.IsNullOrWhiteSpace(member.Value.GetString()));
    }

    /// <summary>Asserts a ProblemDetails answer with the status and type.</summary>
    public static void AssertProblem(this Reply reply, HttpStatusCode status, string type)
    {
        Assert.Equal(status, reply.Status);
        Assert.Equal("application/problem+json", reply.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(type, reply.ProblemType);
        Assert.False(string.IsNullOrWhiteSpace(reply.Body.GetProperty("detail").GetString()));
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

/// <summary>One service started once for the tests of a class that do not change it.</summary>
public abstract class ServiceFixture(string model) : IAsyncLifetime
{
    internal ServiceApp Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await ServiceApp.StartAsync(model);
        Client = Server.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class RecommenderFixture() : ServiceFixture("recommender");

public sealed class FraudFixture() : ServiceFixture("fraud");

public sealed class ForecastFixture() : ServiceFixture("forecast");
