using Lattice.Hosting.Execution;

namespace Lattice.Hosting.Tests.Execution;

/// <summary>The bulkhead's permits and line on their own (the 429 it leads to is covered by <see cref="BulkheadTests"/>).</summary>
public sealed class BulkheadPermitTests
{
    [Fact]
    public void TryEnter_UpToTheLimit_ThenRefuses_AndAReleaseFreesAPermit()
    {
        using var bulkhead = new Bulkhead(limit: 2, queueLimit: 0);
        var first = bulkhead.TryEnter();
        var second = bulkhead.TryEnter();
        var third = bulkhead.TryEnter();

        Assert.True(first.IsAcquired);
        Assert.True(second.IsAcquired);
        Assert.False(third.IsAcquired);
        Assert.Equal(2, bulkhead.InFlight);
        first.Dispose();
        Assert.Equal(1, bulkhead.InFlight);
        using var again = bulkhead.TryEnter();
        Assert.True(again.IsAcquired);
        second.Dispose();
    }

    [Fact]
    public async Task EnterAsync_WhenFull_WaitsInLineOldestFirst_AndRefusesBeyondTheLine()
    {
        var ct = TestContext.Current.CancellationToken;
        using var bulkhead = new Bulkhead(limit: 1, queueLimit: 2);
        var holder = await bulkhead.EnterAsync(ct);
        var firstInLine = bulkhead.EnterAsync(ct).AsTask();
        var secondInLine = bulkhead.EnterAsync(ct).AsTask();
        var beyond = await bulkhead.EnterAsync(ct);

        Assert.False(beyond.IsAcquired);
        Assert.Equal(2, bulkhead.QueueDepth);
        Assert.False(firstInLine.IsCompleted);
        holder.Dispose();
        var first = await firstInLine.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.True(first.IsAcquired);
        Assert.False(secondInLine.IsCompleted);
        Assert.Equal(1, bulkhead.InFlight);
        first.Dispose();
        var second = await secondInLine.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.True(second.IsAcquired);
        second.Dispose();
        Assert.Equal(0, bulkhead.InFlight);
        Assert.Equal(0, bulkhead.QueueDepth);
    }

    [Fact]
    public async Task EnterAsync_CancelledWhileWaiting_LeavesTheLineAndTakesNoPermit()
    {
        var ct = TestContext.Current.CancellationToken;
        using var bulkhead = new Bulkhead(limit: 1, queueLimit: 1);
        var holder = bulkhead.TryEnter();
        using var cancel = new CancellationTokenSource();
        var waiting = bulkhead.EnterAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10), ct));
        Assert.Equal(0, bulkhead.QueueDepth);
        holder.Dispose();
        Assert.Equal(0, bulkhead.InFlight);
        var next = await bulkhead.EnterAsync(ct);
        Assert.True(next.IsAcquired);
        next.Dispose();
    }

    [Fact]
    public async Task ManyCallers_NeverMoreThanTheLimitInFlight_AndEveryQueuedCallerGetsThrough()
    {
        var ct = TestContext.Current.CancellationToken;
        const int limit = 3;
        using var bulkhead = new Bulkhead(limit, queueLimit: 10_000);
        var inside = 0;
        var maxInside = 0;
        var admitted = 0;

        async Task CallAsync()
        {
            for (var i = 0; i < 200; i++)
            {
                using var lease = await bulkhead.EnterAsync(ct);
                Assert.True(lease.IsAcquired);
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                if (i % 7 == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref admitted);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(CallAsync, ct))).WaitAsync(TimeSpan.FromSeconds(60), ct);

        Assert.Equal(16 * 200, admitted);
        Assert.InRange(maxInside, 1, limit);
        Assert.Equal(0, bulkhead.InFlight);
        Assert.Equal(0, bulkhead.QueueDepth);
    }

    [Fact]
    public async Task Dispose_ReleasesTheLineWithoutAPermit()
    {
        var ct = TestContext.Current.CancellationToken;
        var bulkhead = new Bulkhead(limit: 1, queueLimit: 1);
        using var holder = bulkhead.TryEnter();
        var waiting = bulkhead.EnterAsync(ct).AsTask();

        bulkhead.Dispose();

        var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.False(lease.IsAcquired);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
