using Lattice.Orchestrator.Apis;
using Lattice.Orchestrator.Extensions;
using Lattice.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddOrchestrator();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapPipelinesApi();
app.Run();

/// <summary>The orchestrator's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
