using Lattice.ServiceDefaults;

// The ceilings of bench/service.sh: Kestrel answering every request with the fixed bytes of the file named by
// BARE_BODY. It reads the request body (any real endpoint must).
// BARE_MODE=endpoint (default): one minimal-API endpoint, POST /v1/sentiment, no middleware, logging or telemetry.
// BARE_MODE=raw: a terminal middleware, no routing at all.
// BARE_MODE=defaults: the endpoint plus AddServiceDefaults/MapDefaultEndpoints, like every Lattice service
// (tracing, metrics, ProblemDetails): the ceiling for anything built on ServiceDefaults.
var body = File.ReadAllBytes(Environment.GetEnvironmentVariable("BARE_BODY") ?? throw new InvalidOperationException("Set BARE_BODY to a JSON file."));
var mode = Environment.GetEnvironmentVariable("BARE_MODE") ?? "endpoint";
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
if (mode == "defaults")
{
    builder.AddServiceDefaults();
}

var app = builder.Build();
if (mode == "defaults")
{
    app.MapDefaultEndpoints();
}

if (mode == "raw")
{
    app.Run(AnswerAsync);
}
else
{
    app.MapPost("/v1/sentiment", AnswerAsync);
}

app.Run();

async Task AnswerAsync(HttpContext context)
{
    var reader = context.Request.BodyReader;
    while (true)
    {
        var read = await reader.ReadAsync(context.RequestAborted);
        reader.AdvanceTo(read.Buffer.End);
        if (read.IsCompleted)
        {
            break;
        }
    }

    context.Response.ContentType = "application/json; charset=utf-8";
    context.Response.ContentLength = body.Length;
    await context.Response.Body.WriteAsync(body, context.RequestAborted);
}
