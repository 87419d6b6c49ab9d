using Lattice.Hosting;
using Lattice.ServiceDefaults;
using Lattice.Services.Sentiment.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSentimentModel();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelServer();
app.Run();
