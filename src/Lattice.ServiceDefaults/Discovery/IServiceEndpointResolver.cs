namespace Lattice.ServiceDefaults.Discovery;

/// <summary>
/// Resolves a logical service name (e.g. <c>sentiment</c>) to the base addresses of its replicas.
/// Configuration feeds it today; the control plane's registry will feed it later behind the same interface.
/// </summary>
public interface IServiceEndpointResolver
{
    /// <summary>The replicas' base addresses, or an empty list when the name is unknown.</summary>
    ValueTask<IReadOnlyList<Uri>> ResolveAsync(string serviceName, CancellationToken cancellationToken);
}
