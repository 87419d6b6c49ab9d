using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

// The "splice" target of bench/gateway.sh (FLOOR=1): the least a .NET reverse proxy can do per request, as a measuring
// stick for what any .NET design could reach on this machine. No Kestrel and no HttpClient: each client connection is a
// loop on a raw socket that reads one HTTP/1.1 message (head, then a Content-Length body), writes its bytes unchanged to
// a pooled keep-alive upstream connection, reads the answer the same way and writes it back. Socket completions run
// inline on the epoll thread (no thread-pool hand-off). It parses nothing but the framing and rewrites no header, so it
// is not a proxy anyone should run: chunked bodies, pipelining past one message, limits and errors are out of scope
// (such a connection is closed).
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
var listen = IPEndPoint.Parse(Environment.GetEnvironmentVariable("LISTEN") ?? throw new InvalidOperationException("Set LISTEN, e.g. 127.0.0.1:18085."));
var upstreamUri = new Uri(Environment.GetEnvironmentVariable("UPSTREAM") ?? throw new InvalidOperationException("Set UPSTREAM, e.g. http://127.0.0.1:18081."));
var upstream = new IPEndPoint(IPAddress.Parse(upstreamUri.Host), upstreamUri.Port);

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(listen);
listener.Listen(1024);
var idle = new ConcurrentBag<Socket>();
while (true)
{
    var client = await listener.AcceptAsync();
    client.NoDelay = true;
    _ = SpliceAsync(client);
}

async Task SpliceAsync(Socket client)
{
    var request = new Message(client);
    var answer = new Message(null);
    Socket? connection = null;
    try
    {
        while (await request.ReadAsync())
        {
            if (!idle.TryTake(out connection))
            {
                connection = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await connection.ConnectAsync(upstream);
            }

            await connection.SendAsync(request.Bytes, SocketFlags.None);
            answer.Source = connection;
            if (!await answer.ReadAsync())
            {
                throw new IOException("The upstream closed its connection mid-answer.");
            }

            idle.Add(connection);
            connection = null;
            await client.SendAsync(answer.Bytes, SocketFlags.None);
        }
    }
    catch (Exception exception) when (exception is IOException or SocketException or FormatException)
    {
        // The client went away, or sent what this splice does not handle: close.
    }
    finally
    {
        connection?.Dispose();
        client.Dispose();
    }
}

// One HTTP/1.1 message read from a socket into a fixed buffer: the head up to its blank line, then Content-Length bytes.
sealed class Message(Socket? source)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _length;

    public Socket? Source { get; set; } = source;

    public ReadOnlyMemory<byte> Bytes => _buffer.AsMemory(0, _length);

    // False when the peer closed the connection before a new message began.
    public async ValueTask<bool> ReadAsync()
    {
        var received = 0;
        int headEnd;
        while ((headEnd = _buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8)) < 0)
        {
            var count = await ReceiveAsync(received);
            if (count == 0)
            {
                return received == 0 ? false : throw new IOException("The peer closed its connection mid-head.");
            }

            received += count;
        }

        _length = headEnd + 4 + ContentLength(_buffer.AsSpan(0, headEnd));
        while (received < _length)
        {
            var count = await ReceiveAsync(received);
            received += count > 0 ? count : throw new IOException("The peer closed its connection mid-body.");
        }

        return received == _length ? true : throw new FormatException("Pipelined messages are out of this splice's scope.");
    }

    private ValueTask<int> ReceiveAsync(int offset) =>
        offset < _buffer.Length ? Source!.ReceiveAsync(_buffer.AsMemory(offset), SocketFlags.None) : throw new FormatException("The message is larger than the buffer.");

    private static int ContentLength(ReadOnlySpan<byte> head)
    {
        var at = head.IndexOf("\r\nContent-Length:"u8);
        if (at < 0)
        {
            at = head.IndexOf("\r\ncontent-length:"u8);
        }

        if (at >= 0)
        {
            var value = head[(at + "\r\nContent-Length:".Length)..];
            var end = value.IndexOf((byte)'\r');
            value = (end >= 0 ? value[..end] : value).Trim((byte)' ');
            return Utf8Parser.TryParse(value, out int contentLength, out var consumed) && consumed == value.Length && contentLength >= 0
                ? contentLength
                : throw new FormatException("Content-Length is not a number.");
        }

        return head.IndexOf("\r\nTransfer-Encoding:"u8) >= 0 || head.IndexOf("\r\ntransfer-encoding:"u8) >= 0
            ? throw new FormatException("Chunked bodies are out of this splice's scope.")
            : 0;
    }
}
