using Lattice.Hosting.Repository;

namespace Lattice.Hosting.Tests.Repository;

public sealed class RequestCountTests
{
    [Fact]
    public void Increment_FromManyThreadsAtOnce_CountsEveryOne()
    {
        var count = new RequestCount();
        const int threads = 8;
        const int perThread = 100_000;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perThread; i++)
            {
                count.Increment();
            }
        })).ToList();

        workers.ForEach(worker => worker.Start());
        workers.ForEach(worker => worker.Join());

        Assert.Equal(threads * perThread, count.Value);
    }

    [Fact]
    public void Value_OfANewCount_IsZero_AndGrowsByOnePerIncrement()
    {
        var count = new RequestCount();
        Assert.Equal(0, count.Value);

        count.Increment();
        count.Increment();

        Assert.Equal(2, count.Value);
    }

    [Fact]
    public void IncrementOn_AnyProcessorId_LandsInACountedCell()
    {
        var count = new RequestCount();
        int[] ids = [0, 1, Environment.ProcessorCount - 1, Environment.ProcessorCount, 7 * Environment.ProcessorCount + 3, 63, 64, 1_000_003, int.MaxValue];

        foreach (var id in ids)
        {
            count.IncrementOn(id);
        }

        Assert.Equal(ids.Length, count.Value);
    }
}
