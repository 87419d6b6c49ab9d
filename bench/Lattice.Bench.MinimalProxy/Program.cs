using System.Net;

// The "minimal" target of bench/gateway.sh: a straightforward reverse proxy made of Kestrel and a pooled
// SocketsHttpHandler and nothing else, the two building blocks issue 5 prescribes (YARP's forwarder is the same two).
// Every request goes to UPSTREAM (e.g. http://127.0.0.1:5000) with its method, path, query, headers and streamed body;
// the answer's status, headers and streamed body come back. No routing table, auth, rate limit, load balancing,
// resilience, metrics, traces, logging or header hygiene beyond what HTTP/1.1 needs: what Lattice.Gateway costs above
// this is its features.
var upstream = new Uri(Environment.GetEnvironmentVariable("UPSTREAM") ?? throw new InvalidOperationException("Set UPSTREAM to the upstream's base URL."));
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var client = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    ActivityHeadersPropagator = null,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
});

app.Run(async context =>
{
    var request = context.Request;
    using var outgoing = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(upstream, request.Path + request.QueryString))
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
    if (request.ContentLength is not null || request.Headers.TransferEncoding.Count > 0)
    {
        outgoing.Content = new StreamContent(request.Body);
    }

    foreach (var (name, values) in request.Headers)
    {
        if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
        {
            continue;
        }

        if (!outgoing.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!))
        {
            outgoing.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
        }
    }

    using var answer = await client.SendAsync(outgoing, context.RequestAborted);
    context.Response.StatusCode = (int)answer.StatusCode;
    foreach (var (name, values) in answer.Headers)
    {
        if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers[name] = values.ToArray();
        }
    }

    foreach (var (name, values) in answer.Content.Headers)
    {
        context.Response.Headers[name] = values.ToArray();
    }

    await using var body = await answer.Content.ReadAsStreamAsync(context.RequestAborted);
    await body.CopyToAsync(context.Response.Body, context.RequestAborted);
});

app.Run();
