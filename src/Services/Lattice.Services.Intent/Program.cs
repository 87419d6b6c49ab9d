using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Intent.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIntentModel();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelServer();
app.Run();
