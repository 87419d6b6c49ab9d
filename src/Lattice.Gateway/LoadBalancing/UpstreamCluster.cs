namespace Lattice.Gateway.LoadBalancing;

/// <summary>
/// A service's replicas as last resolved. The resolver hands back the same list until its source changes,
/// so a reference check per request is enough; a new list keeps the state of replicas that stayed.
/// </summary>
internal sealed class UpstreamCluster(string service, Func<UpstreamCluster, Uri, Replica> createReplica)
{
    private volatile Replica[] _replicas = [];
    private IReadOnlyList<Uri>? _resolved;

    public string Service { get; } = service;

    /// <summary>Guards ejection decisions and health transitions (never taken on the request path's fast lane).</summary>
    public Lock SyncRoot { get; } = new();

    public Replica[] Replicas => _replicas;

    public Replica[] Refresh(IReadOnlyList<Uri> resolved)
    {
        if (ReferenceEquals(resolved, Volatile.Read(ref _resolved)))
        {
            return _replicas;
        }

        lock (SyncRoot)
        {
            if (ReferenceEquals(resolved, _resolved))
            {
                return _replicas;
            }

            var current = _replicas;
            var next = new Replica[resolved.Count];
            for (var i = 0; i < next.Length; i++)
            {
                next[i] = Array.Find(current, r => r.Address == resolved[i]) ?? createReplica(this, resolved[i]);
            }

            _replicas = next;
            Volatile.Write(ref _resolved, resolved);
            return next;
        }
    }
}
