using System.Net;
using System.Net.Sockets;

namespace Lattice.Gateway.Tests;

/// <summary>
/// A raw HTTP/1.1 upstream on loopback, for answers Kestrel would never send: a subclass serves each connection; this
/// class accepts them and, on dispose, stops listening and waits for every connection to finish.
/// </summary>
internal abstract class RawUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Serves one connection until <paramref name="stop"/> fires; IO errors and cancellation end it quietly.</summary>
    protected abstract Task ServeAsync(NetworkStream stream, CancellationToken stop);

    protected void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                connections.Add(ServeConnectionAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeConnectionAsync(TcpClient socket)
    {
        using (socket)
        {
            try
            {
                await ServeAsync(socket.GetStream(), _stop.Token);
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }

        _stop.Dispose();
    }
}
