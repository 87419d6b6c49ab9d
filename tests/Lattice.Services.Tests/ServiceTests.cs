using System.Net;
using System.Text.Json;
using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Intent.Extensions;
using Lattice.Services.Language.Extensions;
using Lattice.Services.Sentiment.Extensions;
using Lattice.Services.Spam.Extensions;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Lattice.Services.Tests;

/// <summary>
/// Each service exactly as its Program.cs wires it, on a real Kestrel port, serving the repository's default model
/// from <c>models/</c>; the requests of its <c>.http</c> file are replayed and must all succeed.
/// </summary>
public sealed class ServiceTests
{
    public static TheoryData<string> Services() => ["language", "sentiment", "intent", "spam"];

    private static readonly Dictionary<string, (string Project, Action<IHostApplicationBuilder> Add)> Registrations = new()
    {
        ["language"] = ("Lattice.Services.Language", b => b.AddLanguageModel()),
        ["sentiment"] = ("Lattice.Services.Sentiment", b => b.AddSentimentModel()),
        ["intent"] = ("Lattice.Services.Intent", b => b.AddIntentModel()),
        ["spam"] = ("Lattice.Services.Spam", b => b.AddSpamModel()),
    };

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lattice.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (Lattice.slnx) was not found above the test folder.");
    }

    private static async Task<KestrelApp> StartAsync(string service)
    {
        var (_, add) = Registrations[service];
        var app = await KestrelApp.StartAsync(
            builder =>
            {
                // No Root configured: the default (the nearest models/ folder above the content root or the app) is under test.
                builder.AddServiceDefaults();
                add(builder);
            },
            app =>
            {
                app.MapDefaultEndpoints();
                app.MapModelServer();
            },
            cancellationToken: TestContext.Current.CancellationToken);
        using var client = app.CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{service} did not become ready.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return app;
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Start_DefaultModel_AnswersTypedApiAndEveryHttpFileRequest(string service)
    {
        var (project, _) = Registrations[service];
        var file = Path.Combine(RepositoryRoot(), "src", "Services", project, char.ToUpperInvariant(service[0]) + service[1..] + ".http");
        await using var sut = await StartAsync(service);
        using var client = sut.CreateClient();
        var metadata = JsonDocument.Parse(await client.GetStringAsync($"/v2/models/{service}", TestContext.Current.CancellationToken)).RootElement;

        using var content = new StringContent("""{"text": "Hello, I would like to know more about this."}""", System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync($"/v1/{service}", content, TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var requests = HttpFile.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken), sut.BaseAddress.ToString().TrimEnd('/')).Select(r => r.Request).ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var versions = metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.Contains(body.GetProperty("version").GetString(), versions);
        Assert.Contains(body.GetProperty("label").GetString(), body.GetProperty("scores").EnumerateObject().Select(p => p.Name));
        Assert.Equal(service, body.GetProperty("model").GetString());
        Assert.True(requests.Count >= 8, $"{file} should hold a useful set of requests.");
        foreach (var request in requests)
        {
            var answer = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.True(answer.IsSuccessStatusCode, $"{request.Method} {request.RequestUri} answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }
    }

    [Fact]
    public async Task Sentiment_ClearTexts_AnswerNamedLabels()
    {
        await using var sut = await StartAsync("sentiment");
        using var client = sut.CreateClient();

        async Task<string> LabelAsync(string text)
        {
            using var content = new StringContent(JsonSerializer.Serialize(new { text }), System.Text.Encoding.UTF8, "application/json");
            var response = await client.PostAsync("/v1/sentiment", content, TestContext.Current.CancellationToken);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("label").GetString()!;
        }

        Assert.Equal("positive", await LabelAsync("A wonderful, moving film with a brilliant cast."));
        Assert.Equal("negative", await LabelAsync("A dull, boring mess and a waste of time."));
    }
}
