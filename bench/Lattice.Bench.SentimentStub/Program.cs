// A stand-in for the sentiment service in bench/gateway.sh, used when the real service is not built (or
// UPSTREAM=stub): the same route, a response of the same shape and size, and the model version header, with
// no model work, so the benchmark measures the proxies rather than the model.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
var app = builder.Build();

var prediction = """{"label":"positive","score":0.9731,"scores":{"negative":0.0269,"positive":0.9731},"model":"sentiment","version":"1","id":"5f0c7d2e-8a41-4c3b-9d6e-2b1f0a9c8e77"}"""u8.ToArray();
app.MapPost("/v1/sentiment", async (HttpContext context) =>
{
    // Read the request like a real service would, then answer.
    await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
    context.Response.ContentType = "application/json; charset=utf-8";
    context.Response.ContentLength = prediction.Length;
    context.Response.Headers["X-Model-Version"] = "1";
    await context.Response.Body.WriteAsync(prediction, context.RequestAborted);
});
app.MapGet("/health/ready", () => Results.Ok());
app.MapGet("/health/live", () => Results.Ok());
app.Run();
