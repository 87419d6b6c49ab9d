using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Forecast.Apis;
using Lattice.Services.Forecast.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddForecaster();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelServer();
app.MapForecastApi();
app.Run();
