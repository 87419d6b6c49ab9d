using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Recommender.Apis;
using Lattice.Services.Recommender.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRecommenderModel();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelServer();
app.MapRecommenderApi();
app.Run();
