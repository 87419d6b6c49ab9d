using Lattice.Orchestrator.Apis;
using Lattice.Orchestrator.Extensions;
using Lattice.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddOrchestrator();

var app = builder.Build();
if (!app.TryLoadPipelines())
{
    await app.DisposeAsync(); // flushes the log, where each problem is
    return 1;
}

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapPipelinesApi();
await app.RunAsync();
return 0;

/// <summary>The orchestrator's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
