// The ceiling of bench/service.sh: Kestrel with no routing, middleware, logging or telemetry. It reads the
// request body (any real endpoint must) and answers with the fixed bytes of the file named by BARE_BODY.
var body = File.ReadAllBytes(Environment.GetEnvironmentVariable("BARE_BODY") ?? throw new InvalidOperationException("Set BARE_BODY to a JSON file."));
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.Run(async context =>
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
});
app.Run();
