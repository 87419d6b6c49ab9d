using System.Runtime.CompilerServices;

namespace Lattice.Hosting.Tests.Support;

internal static class ThreadPoolSetup
{
    /// <summary>
    /// Some tests block pool threads on purpose (a gate holds a prediction in flight) while other test classes run
    /// in parallel; on a 2-core machine the pool would add threads slowly and stall them.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => ThreadPool.SetMinThreads(Math.Max(32, Environment.ProcessorCount * 4), Math.Max(32, Environment.ProcessorCount * 4));
}
