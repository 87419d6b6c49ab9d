namespace Lattice.Gateway.LoadBalancing;

/// <summary>
/// Least outstanding requests with the power of two choices: two random candidates, the one with fewer
/// requests in flight wins. Near-optimal spread without a global scan or lock, and no herd onto one idle replica.
/// </summary>
internal sealed class ReplicaSelector(Random random)
{
    /// <summary>At most this many replicas per service take part (the tried-set is a 64-bit mask).</summary>
    public const int MaxReplicas = 64;

    /// <summary>
    /// The index of the replica to try, or -1. Candidates are replicas not yet tried, healthy, not ejected and whose
    /// circuit is not open. When none is left but some untried replica's circuit allows it, every such replica is a
    /// candidate again ("panic mode", as Envoy): better to try a replica the health checks doubt than to refuse outright.
    /// </summary>
    public int Select(Replica[] replicas, ulong tried, long nowTicks)
    {
        var count = Math.Min(replicas.Length, MaxReplicas);
        Span<int> candidates = stackalloc int[count];
        var n = 0;
        for (var i = 0; i < count; i++)
        {
            var replica = replicas[i];
            if ((tried & (1UL << i)) == 0 && replica.Healthy && !replica.IsEjected(nowTicks) && !replica.IsCircuitBlocking(nowTicks))
            {
                candidates[n++] = i;
            }
        }

        if (n == 0)
        {
            for (var i = 0; i < count; i++)
            {
                if ((tried & (1UL << i)) == 0 && !replicas[i].IsCircuitBlocking(nowTicks))
                {
                    candidates[n++] = i;
                }
            }
        }

        switch (n)
        {
            case 0:
                return -1;
            case 1:
                return candidates[0];
            default:
                var a = random.Next(n);
                var b = random.Next(n - 1);
                if (b >= a)
                {
                    b++;
                }

                var first = candidates[a];
                var second = candidates[b];
                return replicas[first].Outstanding <= replicas[second].Outstanding ? first : second;
        }
    }
}
