using Microsoft.AspNetCore.Http;

namespace Lattice.ServiceDefaults.Problems;

/// <summary>
/// Writes every problem as <c>application/problem+json</c>, whatever the request's <c>Accept</c> header says.
/// </summary>
/// <remarks>
/// ASP.NET Core's service asks each writer whether it can write for this <c>Accept</c>; its JSON writer says no to, say,
/// <c>text/html</c> or <c>application/xml</c>. Then a bodiless error got a text line, and a <c>TypedResults.Problem</c>
/// was written as JSON anyway by the result itself, without <c>instance</c> and <c>traceId</c> (the customization runs
/// in the writer). A JSON API answers its errors in JSON (RFC 9110 §12.5.1 lets a server disregard <c>Accept</c>), so
/// when no writer takes the request, the first one registered (ASP.NET Core's JSON writer, whose write does not look
/// at <c>Accept</c>) writes it all the same: one shape, every field, for every client.
/// </remarks>
internal sealed class JsonProblemDetailsService(IEnumerable<IProblemDetailsWriter> writers) : IProblemDetailsService
{
    private readonly IProblemDetailsWriter[] _writers = [.. writers];

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        if (!await TryWriteAsync(context))
        {
            throw new InvalidOperationException("No IProblemDetailsWriter is registered; call AddProblemDetails().");
        }
    }

    public async ValueTask<bool> TryWriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var writer in _writers)
        {
            if (writer.CanWrite(context))
            {
                await writer.WriteAsync(context);
                return true;
            }
        }

        if (_writers.Length == 0)
        {
            return false;
        }

        await _writers[0].WriteAsync(context);
        return true;
    }
}
