using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Fraud.Apis;
using Lattice.Services.Fraud.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFraudModel();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelServer();
app.MapFraudApi();
app.Run();
