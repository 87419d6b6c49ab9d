namespace Lattice.ServiceDefaults.Telemetry;

/// <summary>
/// Names shared by every Lattice component's ActivitySource and Meter. Each component creates one
/// ActivitySource and one Meter named <c>Lattice.&lt;Component&gt;</c>; ServiceDefaults listens to the
/// whole <c>Lattice.*</c> family, so a new component needs no registration.
/// </summary>
public static class LatticeTelemetry
{
    /// <summary>Prefix of every Lattice ActivitySource and Meter name.</summary>
    public const string Prefix = "Lattice.";

    /// <summary>The ActivitySource and Meter of ServiceDefaults itself (HTTP resilience, discovery).</summary>
    public const string ServiceDefaults = "Lattice.ServiceDefaults";

    /// <summary>ASP.NET Core's own ActivitySource (server spans).</summary>
    public const string AspNetCoreSource = "Microsoft.AspNetCore";

    /// <summary>HttpClient's own ActivitySource (client spans, one per attempt).</summary>
    public const string HttpClientSource = "System.Net.Http";
}
