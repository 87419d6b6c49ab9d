using Lattice.Hosting.Repository;

namespace Lattice.Hosting.Routing;

/// <summary>
/// A traffic policy compiled against the versions loaded right now: the default version, the weighted
/// candidates (only loaded ones, renormalised), the sticky header and the shadow version.
/// </summary>
internal sealed class RoutePlan
{
    private RoutePlan(ModelSnapshot snapshot, TrafficPolicyOptions? policy)
    {
        Snapshot = snapshot;
        Policy = policy;
        Default = policy?.DefaultVersion is { } configured && snapshot.ByVersion.TryGetValue(configured, out var chosen)
            ? chosen
            : snapshot.Latest;

        var candidates = new List<LoadedVersion>();
        var weights = new List<double>();
        if (policy is not null)
        {
            foreach (var version in snapshot.Ordered)
            {
                if (policy.Weights.TryGetValue(version.Version, out var weight) && weight > 0)
                {
                    candidates.Add(version);
                    weights.Add(weight);
                }
            }
        }

        Candidates = [.. candidates];
        var total = weights.Sum();
        Weights = [.. weights.Select(w => w / total)];
        StickyHeader = string.IsNullOrWhiteSpace(policy?.StickyHeader) ? null : policy.StickyHeader;
        Shadow = policy?.ShadowVersion is { } shadow && snapshot.ByVersion.TryGetValue(shadow, out var shadowVersion) ? shadowVersion : null;
    }

    public ModelSnapshot Snapshot { get; }

    public TrafficPolicyOptions? Policy { get; }

    /// <summary>The configured default if loaded, else the highest loaded version; null when nothing is loaded.</summary>
    public LoadedVersion? Default { get; }

    /// <summary>Loaded versions with a positive weight, lowest first.</summary>
    public LoadedVersion[] Candidates { get; }

    /// <summary>Their weights, summing to 1.</summary>
    public double[] Weights { get; }

    public string? StickyHeader { get; }

    public LoadedVersion? Shadow { get; }

    public static RoutePlan Build(ModelSnapshot snapshot, TrafficPolicyOptions? policy) => new(snapshot, policy);

    /// <summary>Reuses <paramref name="cached"/> when neither the snapshot nor the policy object changed.</summary>
    public static RoutePlan Get(RoutePlan? cached, ModelSnapshot snapshot, TrafficPolicyOptions? policy) =>
        cached is not null && ReferenceEquals(cached.Snapshot, snapshot) && ReferenceEquals(cached.Policy, policy)
            ? cached
            : Build(snapshot, policy);
}
