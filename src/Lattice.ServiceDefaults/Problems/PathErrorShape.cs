using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// An error shape other than ProblemDetails for every path under <paramref name="Prefix"/> (whole segments, any case),
/// used by the answers service defaults give before routing picks an endpoint (the request-head limits). Register one
/// per prefix as a singleton; the model server's <c>/v2</c> (the Open Inference Protocol answers
/// <c>{"error": "..."}</c>) is one.
/// </summary>
/// <param name="Prefix">Where the shape applies, e.g. <c>/v2</c>.</param>
/// <param name="WriteAsync">Writes the answer: the context, the status code and a message that says what is wrong.</param>
public sealed record PathErrorShape(PathString Prefix, Func<HttpContext, int, string, Task> WriteAsync);
