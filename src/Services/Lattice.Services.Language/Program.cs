using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Language.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddLanguageModel();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelServer();
app.Run();
