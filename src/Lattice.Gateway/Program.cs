using Lattice.Gateway.Extensions;
using Lattice.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGateway();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGateway();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory).</summary>
public partial class Program;
