namespace Lattice.Hosting.Execution;

/// <summary>
/// A model's bulkhead: at most <c>limit</c> calls at once and at most <c>queueLimit</c> waiting, oldest first; the
/// rest are refused (the caller answers 429).
/// </summary>
/// <remarks>
/// Replaces System.Threading.RateLimiting's ConcurrencyLimiter, whose every acquire and release takes one lock:
/// under wrk load on two cores that lock was contended on most requests (perf: 1 % of the service's samples plus
/// the spinning). Here a permit is one compare-and-swap while permits are free; the lock is only taken to queue
/// when full, and by a release that sees someone queued. Ordering argument: a waiter counts itself in
/// <see cref="_waiting"/> (interlocked) before its last try for a permit, and a release frees its permit
/// (interlocked) before reading <see cref="_waiting"/>; so either the waiter's try sees the freed permit, or the
/// release sees the waiter and hands the permit over under the lock.
/// </remarks>
internal sealed class Bulkhead(int limit, int queueLimit) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<TaskCompletionSource<bool>> _queue = new();
    private int _inFlight;
    private int _waiting;
    private bool _disposed;

    /// <summary>Calls holding a permit.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Calls waiting for a permit.</summary>
    public int QueueDepth
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>A permit if one is free now; never waits.</summary>
    public BulkheadLease TryEnter() => TryTake() ? new BulkheadLease(this) : default;

    /// <summary>A permit, waiting in line when none is free; not acquired when the line is full too.</summary>
    public ValueTask<BulkheadLease> EnterAsync(CancellationToken cancellationToken) =>
        TryTake() ? new(new BulkheadLease(this)) : EnterSlowAsync(cancellationToken);

    private bool TryTake()
    {
        var current = Volatile.Read(ref _inFlight);
        while (current < limit)
        {
            var seen = Interlocked.CompareExchange(ref _inFlight, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    private async ValueTask<BulkheadLease> EnterSlowAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource<bool> waiter;
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (_gate)
        {
            Interlocked.Increment(ref _waiting);
            if (!_disposed && TryTake())
            {
                Interlocked.Decrement(ref _waiting);
                return new BulkheadLease(this);
            }

            if (_disposed || _queue.Count >= queueLimit)
            {
                Interlocked.Decrement(ref _waiting);
                return default;
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _queue.AddLast(waiter);
        }

        await using (cancellationToken.Register(() => Cancel(node, cancellationToken)))
        {
            return await waiter.Task.ConfigureAwait(false) ? new BulkheadLease(this) : default;
        }
    }

    private void Cancel(LinkedListNode<TaskCompletionSource<bool>> node, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // Still queued: leave the line. Already handed a permit: the waiter keeps it and releases it as usual.
            if (node.List is not null)
            {
                _queue.Remove(node);
                Interlocked.Decrement(ref _waiting);
                node.Value.TrySetCanceled(cancellationToken);
            }
        }
    }

    internal void Exit()
    {
        Interlocked.Decrement(ref _inFlight);
        if (Volatile.Read(ref _waiting) > 0)
        {
            HandOver();
        }
    }

    private void HandOver()
    {
        lock (_gate)
        {
            while (_queue.First is { } first && TryTake())
            {
                _queue.RemoveFirst();
                Interlocked.Decrement(ref _waiting);
                if (!first.Value.TrySetResult(true))
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            while (_queue.First is { } first)
            {
                _queue.RemoveFirst();
                Interlocked.Decrement(ref _waiting);
                first.Value.TrySetResult(false);
            }
        }
    }
}

/// <summary>A bulkhead permit; dispose it exactly once to give the permit back (a default lease holds none).</summary>
internal readonly struct BulkheadLease(Bulkhead bulkhead) : IDisposable
{
    public bool IsAcquired => bulkhead is not null;

    public void Dispose() => bulkhead?.Exit();
}
