using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Spam.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSpamModel();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelServer();
app.Run();
