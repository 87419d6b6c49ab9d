using System.Threading.Channels;

namespace Lattice.Cli.Tests.Support;

/// <summary>
/// A clock that moves only when the test says so and hands the test every timer created on it, in order: a test
/// waits for the code's next delay, reads how long it is, and makes it elapse, instead of sleeping.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Channel<ManualTimer> _created = Channel.CreateUnbounded<ManualTimer>();
    private long _elapsedTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _elapsedTicks);

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(GetTimestamp());

    public void Advance(TimeSpan by) => Interlocked.Add(ref _elapsedTicks, by.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state, dueTime);
        _created.Writer.TryWrite(timer);
        return timer;
    }

    /// <summary>The next timer the code created, waiting for one if there is none yet.</summary>
    public ValueTask<ManualTimer> NextTimerAsync(CancellationToken cancellationToken) => _created.Reader.ReadAsync(cancellationToken);

    /// <summary>Moves the clock on by the timer's due time and fires it.</summary>
    public void Elapse(ManualTimer timer)
    {
        Advance(timer.DueTime);
        timer.Fire();
    }
}

/// <summary>A timer of <see cref="ManualClock"/>: it fires only when the test fires it, and never once disposed.</summary>
internal sealed class ManualTimer(TimerCallback callback, object? state, TimeSpan dueTime) : ITimer
{
    private volatile bool _disposed;

    public TimeSpan DueTime { get; private set; } = dueTime;

    public void Fire()
    {
        if (!_disposed)
        {
            callback(state);
        }
    }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        DueTime = dueTime;
        return !_disposed;
    }

    public void Dispose() => _disposed = true;

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
