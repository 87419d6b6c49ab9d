// The ceilings of bench/service.sh: Kestrel answering every request with the fixed bytes of the file named by
// BARE_BODY, with no middleware, logging or telemetry. It reads the request body (any real endpoint must).
// BARE_MODE=endpoint (default): one minimal-API endpoint, POST /v1/sentiment, behind routing.
// BARE_MODE=raw: a terminal middleware, no routing at all.
var body = File.ReadAllBytes(Environment.GetEnvironmentVariable("BARE_BODY") ?? throw new InvalidOperationException("Set BARE_BODY to a JSON file."));
var raw = Environment.GetEnvironmentVariable("BARE_MODE") == "raw";
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
if (raw)
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
