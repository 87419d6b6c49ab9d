using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;

namespace Lattice.ServiceDefaults.Tests.Problems;

public sealed class ProblemExceptionHandlerTests
{
    [Theory]
    [InlineData("reset")]
    [InlineData("cancelled")]
    public async Task ClientGone_Is499WithoutAnErrorLogOrABody(string how)
    {
        // A client that resets its connection mid-body makes the body read throw ConnectionResetException (an
        // IOException); it was logged as an unhandled server error and answered 500 to nobody.
        var (handler, problems, logs) = Create();
        var context = ContextWhoseClientLeft();
        Exception exception = how == "reset"
            ? new Microsoft.AspNetCore.Connections.ConnectionResetException("The client reset the request stream.")
            : new OperationCanceledException();

        var handled = await handler.TryHandleAsync(context, exception, CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(499, context.Response.StatusCode);
        Assert.Equal(0, problems.Writes);
        Assert.DoesNotContain(logs.Levels, level => level >= LogLevel.Error);
    }

    [Fact]
    public async Task ConnectionReset_BeforeRequestAbortedFires_IsStill499()
    {
        // Kestrel fires RequestAborted on the thread pool: the read that saw the reset can throw first.
        var (handler, problems, logs) = Create();
        var context = new DefaultHttpContext();

        await handler.TryHandleAsync(context, new Microsoft.AspNetCore.Connections.ConnectionResetException("reset"), CancellationToken.None);

        Assert.Equal(499, context.Response.StatusCode);
        Assert.Equal(0, problems.Writes);
        Assert.DoesNotContain(logs.Levels, level => level >= LogLevel.Error);
    }

    [Fact]
    public async Task IOExceptionWhileTheClientStays_IsStillAServerError()
    {
        var (handler, problems, logs) = Create();
        var context = new DefaultHttpContext();

        await handler.TryHandleAsync(context, new IOException("disk full"), CancellationToken.None);

        Assert.Equal(StatusCodes.Status500InternalServerError, context.Response.StatusCode);
        Assert.Equal(1, problems.Writes);
        Assert.Contains(LogLevel.Error, logs.Levels);
    }

    [Theory]
    [InlineData(StatusCodes.Status400BadRequest, "Bad request")]
    [InlineData(StatusCodes.Status408RequestTimeout, "Request timeout")]
    [InlineData(StatusCodes.Status413PayloadTooLarge, "Request body too large")]
    [InlineData(StatusCodes.Status411LengthRequired, "Length required")]
    [InlineData(StatusCodes.Status414UriTooLong, "Request line too long")]
    [InlineData(StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large")]
    [InlineData(StatusCodes.Status505HttpVersionNotsupported, "HTTP version not supported")]
    public async Task BadHttpRequest_TitleMatchesItsStatus(int status, string title)
    {
        // A body slower than Kestrel's minimum data rate is a 408 that was titled "Bad request".
        var (handler, problems, _) = Create();
        var context = new DefaultHttpContext();

        await handler.TryHandleAsync(context, new BadHttpRequestException("Reading the request body timed out.", status), CancellationToken.None);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(status, problems.Last?.Status);
        Assert.Equal(title, problems.Last?.Title);
        Assert.Equal(ProblemTypes.ForStatus(status), problems.Last?.Type);
    }

    private static (ProblemExceptionHandler Handler, CountingProblems Problems, ListLogger Logs) Create()
    {
        var problems = new CountingProblems();
        var logs = new ListLogger();
        return (new ProblemExceptionHandler(problems, new HostingEnvironment { EnvironmentName = "Production" }, logs), problems, logs);
    }

    private static DefaultHttpContext ContextWhoseClientLeft()
    {
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = new CancellationToken(canceled: true) });
        return context;
    }

    private sealed class CountingProblems : IProblemDetailsService
    {
        public int Writes { get; private set; }

        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            Writes++;
            return ValueTask.CompletedTask;
        }

        public Microsoft.AspNetCore.Mvc.ProblemDetails? Last { get; private set; }

        public ValueTask<bool> TryWriteAsync(ProblemDetailsContext context)
        {
            Writes++;
            Last = context.ProblemDetails;
            return ValueTask.FromResult(true);
        }
    }

    private sealed class ListLogger : ILogger<ProblemExceptionHandler>
    {
        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Levels.Add(logLevel);
    }
}
