using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Lattice.Orchestrator.Apis;
using Lattice.Orchestrator.Extensions;
using Lattice.ServiceDefaults;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Orchestrator.Tests;

/// <summary>
/// Real Kestrel fake services (each answers <c>POST /v1/&lt;name&gt;</c> through a switchable behaviour)
/// and a real orchestrator reading pipeline files from a temporary folder.
/// </summary>
internal sealed class OrchestratorHarness : IAsyncDisposable
{
    private readonly List<KestrelApp> _services = [];
    private readonly string _folder = Directory.CreateTempSubdirectory("lattice-pipelines-").FullName;

    public ConcurrentDictionary<string, Func<JsonNode?, CancellationToken, Task<IResult>>> Behaviours { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, JsonNode?> LastInputs { get; } = new(StringComparer.Ordinal);

    public KestrelApp? Orchestrator { get; private set; }

    public static Task<OrchestratorHarness> StartAsync(string pipelineYaml, params string[] services) =>
        StartAsync(pipelineYaml, new Dictionary<string, string?>(), services);

    /// <summary>As above, with more orchestrator settings (e.g. <c>HttpResilience:*</c>).</summary>
    public static async Task<OrchestratorHarness> StartAsync(string pipelineYaml, IReadOnlyDictionary<string, string?> extraSettings, params string[] services)
    {
        var harness = new OrchestratorHarness();
        try
        {
            var settings = new Dictionary<string, string?>(extraSettings) { ["Orchestrator:PipelinesPath"] = harness._folder };
            foreach (var service in services)
            {
                var app = await harness.StartServiceAsync(service);
                settings[$"Services:{service}:Urls"] = app.BaseAddress.ToString();
            }

            await File.WriteAllTextAsync(Path.Combine(harness._folder, "pipeline.yaml"), pipelineYaml, TestContext.Current.CancellationToken);
            harness.Orchestrator = await StartOrchestratorAsync(settings);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    public static Task<KestrelApp> StartOrchestratorAsync(IDictionary<string, string?> settings, bool withOpenApi = false) => KestrelApp.StartAsync(
        builder =>
        {
            builder.AddServiceDefaults();
            builder.AddOrchestrator();
        },
        app =>
        {
            app.MapDefaultEndpoints();
            if (withOpenApi)
            {
                app.MapOpenApi();
            }

            app.MapPipelinesApi();
        },
        settings,
        cancellationToken: TestContext.Current.CancellationToken);

    private readonly Dictionary<string, string> _serviceAddresses = new(StringComparer.Ordinal);

    private async Task<KestrelApp> StartServiceAsync(string name)
    {
        Behaviours[name] = (input, _) => Task.FromResult<IResult>(Results.Json(new { label = name + "-label", score = 0.9, version = "7", echo = input }));
        var app = await KestrelApp.StartAsync(
            builder => builder.AddServiceDefaults(),
            app => app.MapPost("/v1/" + name, async (HttpRequest request) =>
            {
                var body = await JsonNode.ParseAsync(request.Body);
                LastInputs[name] = body;
                return await Behaviours[name](body, request.HttpContext.RequestAborted);
            }),
            cancellationToken: TestContext.Current.CancellationToken);
        _services.Add(app);
        _serviceAddresses[name] = app.BaseAddress.ToString();
        return app;
    }

    public async Task StopServiceAsync(string name)
    {
        var app = _services.Single(s => s.BaseAddress.ToString() == _serviceAddresses[name]);
        _services.Remove(app);
        await app.DisposeAsync();
    }

    public HttpClient CreateClient() => Orchestrator!.CreateClient();

    public async ValueTask DisposeAsync()
    {
        if (Orchestrator is not null)
        {
            await Orchestrator.DisposeAsync();
        }

        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }
}
