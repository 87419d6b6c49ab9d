using System.Net;
using System.Net.Sockets;

namespace Lattice.Cli.Tests.Support;

internal static class TestPorts
{
    /// <summary>A loopback port nothing listens on right now (the system's choice, so parallel tests do not collide).</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
