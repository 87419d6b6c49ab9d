using Lattice.Hosting.Repository;

namespace Lattice.Hosting.Routing;

/// <summary>Why a version was chosen; reported on the response and the trace.</summary>
public enum RouteReason
{
    /// <summary>The request named the version.</summary>
    Explicit,

    /// <summary>No split applied: the default version.</summary>
    Default,

    /// <summary>A random draw over the weights (canary).</summary>
    Weighted,

    /// <summary>The routing key's hash over the weights (A/B): the same key always lands on the same version.</summary>
    Sticky,
}

/// <summary>Picks the version that answers a request, from a compiled <see cref="RoutePlan"/>.</summary>
/// <remarks>
/// Sticky routing uses weighted rendezvous hashing: each candidate scores <c>-ln(h(key, version)) / weight</c>
/// and the lowest wins. Keys spread in proportion to the weights, and adding or removing a version moves only
/// the keys that must move.
/// </remarks>
internal sealed class TrafficRouter(Random random)
{
    public LoadedVersion? Select(RoutePlan plan, string? routingKey, out RouteReason reason)
    {
        var candidates = plan.Candidates;
        if (candidates.Length == 0)
        {
            reason = RouteReason.Default;
            return plan.Default;
        }

        if (!string.IsNullOrEmpty(routingKey))
        {
            reason = RouteReason.Sticky;
            return candidates[StickyIndex(routingKey, candidates, plan.Weights)];
        }

        reason = RouteReason.Weighted;
        var draw = random.NextDouble();
        var weights = plan.Weights;
        for (var i = 0; i < weights.Length - 1; i++)
        {
            draw -= weights[i];
            if (draw < 0)
            {
                return candidates[i];
            }
        }

        return candidates[^1];
    }

    internal static int StickyIndex(string key, LoadedVersion[] candidates, double[] weights)
    {
        var keyHash = StableHash.Of(key);
        var best = 0;
        var bestScore = double.MaxValue;
        for (var i = 0; i < candidates.Length; i++)
        {
            var unit = StableHash.ToUnitInterval(StableHash.Combine(keyHash, StableHash.Of(candidates[i].Version)));
            var score = -Math.Log(unit) / weights[i];
            if (score < bestScore)
            {
                bestScore = score;
                best = i;
            }
        }

        return best;
    }
}

/// <summary>A hash that is the same in every process and run (string.GetHashCode is randomised per process).</summary>
internal static class StableHash
{
    /// <summary>FNV-1a over the UTF-16 code units.</summary>
    public static ulong Of(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>Mixes two hashes with the SplitMix64 finaliser, so close inputs give unrelated outputs.</summary>
    public static ulong Combine(ulong a, ulong b)
    {
        var z = a ^ (b + 0x9E3779B97F4A7C15UL + (a << 6) + (a >> 2));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Maps a hash to (0, 1], never 0 (its log is taken).</summary>
    public static double ToUnitInterval(ulong hash) => ((hash >> 11) + 1) * (1.0 / (1UL << 53));
}
