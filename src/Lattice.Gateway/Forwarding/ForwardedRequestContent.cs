using System.IO.Pipelines;
using System.Net;

namespace Lattice.Gateway.Forwarding;

/// <summary>
/// The client's request body on its way to a replica: streamed straight out of Kestrel's buffers (never fully
/// buffered), already buffered (a cache route keyed it), or empty (a body-less POST). It records which side failed,
/// so a failure maps to the right <see cref="ForwarderError"/>, and whether the current attempt sent it, so a retry
/// elsewhere is only made when no byte left the gateway or the request may be repeated.
/// </summary>
/// <remarks>
/// SocketsHttpHandler silently re-sends a request without content whose pooled connection closed before any response
/// byte came back (up to three times). That is harmless for GET, but a body-less POST would then reach the service
/// again although it may have acted on the first send; so every non-idempotent request carries one of these (the
/// handler never repeats a request that has content), and, should a handler ever send it twice within one attempt,
/// the second send fails the attempt instead.
/// </remarks>
internal sealed class ForwardedRequestContent : HttpContent
{
    private readonly PipeReader? _source;
    private readonly ReadOnlyMemory<byte> _buffered;
    private int _sentInAttempt;
    private bool _streamConsumed;
    private volatile bool _waitingForClient;
    private Task? _copy;

    private ForwardedRequestContent(PipeReader? source, ReadOnlyMemory<byte> buffered)
    {
        _source = source;
        _buffered = buffered;
    }

    public static ForwardedRequestContent Streamed(PipeReader source) => new(source, default);

    public static ForwardedRequestContent Buffered(ReadOnlyMemory<byte> body) => new(null, body);

    public static ForwardedRequestContent Empty() => new(null, default);

    /// <summary>True once the current attempt started sending the body; from then on the attempt cannot be repeated.</summary>
    public bool Started => Volatile.Read(ref _sentInAttempt) != 0;

    /// <summary>Whether another attempt can send the body again: a buffered or empty body can, a streamed one only if unsent.</summary>
    public bool CanResend => _source is null || !_streamConsumed;

    /// <summary>
    /// True while a streamed body's copy waits for more bytes from the client, and after a copy that such a wait ended
    /// (cancelled or failed): if the attempt ends then (the route's timeout), the client's body is late, not the
    /// replica's answer.
    /// </summary>
    public bool WaitingForClient => _waitingForClient;

    /// <summary>
    /// Completes (perhaps faulted) once a streamed body's copy has stopped reading the client's body (at once when none
    /// ran): the request's body reader is free again, for Kestrel to drain or close.
    /// </summary>
    public Task CopyEnded => _copy ?? Task.CompletedTask;

    /// <summary>What went wrong while sending, or <see cref="ForwarderError.None"/>.</summary>
    public ForwarderError Error { get; private set; }

    /// <summary>Starts a new attempt (a new request message to a replica).</summary>
    public void BeginAttempt()
    {
        Volatile.Write(ref _sentInAttempt, 0);
        _waitingForClient = false;
        Error = ForwarderError.None;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _sentInAttempt, 1) != 0)
        {
            // The handler's own retry after the connection dropped: the replica may have acted on the first send.
            Error = ForwarderError.UpstreamRequestFailed;
            throw new InvalidOperationException("The request was already sent in this attempt; it is not sent twice.");
        }

        if (_source is null)
        {
            if (!_buffered.IsEmpty)
            {
                try
                {
                    await stream.WriteAsync(_buffered, cancellationToken);
                }
                catch (Exception)
                {
                    Error = ForwarderError.RequestBodyDestination;
                    throw;
                }
            }

            return;
        }

        if (_streamConsumed)
        {
            Error = ForwarderError.UpstreamRequestFailed;
            throw new InvalidOperationException("The request body was already streamed to a replica and cannot be sent again.");
        }

        _streamConsumed = true;
        // _waitingForClient stays as the copy left it: true when a read of the client's body was what ended it.
        _copy = CopyStreamedAsync(_source, stream, cancellationToken);
        await _copy;
    }

    private async Task CopyStreamedAsync(PipeReader source, Stream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                _waitingForClient = true;
                result = await source.ReadAsync(cancellationToken);
                _waitingForClient = false;
            }
            catch (BadHttpRequestException bad) when (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                Error = ForwarderError.RequestBodyTooLarge;
                throw;
            }
            catch (BadHttpRequestException bad) when (bad.StatusCode == StatusCodes.Status408RequestTimeout)
            {
                // Kestrel's minimum data rate: the client stalled, as when the route's timeout ends the wait.
                Error = ForwarderError.RequestBodyTimedOut;
                throw;
            }
            catch (Exception)
            {
                Error = cancellationToken.IsCancellationRequested ? ForwarderError.RequestCanceled : ForwarderError.RequestBodyClient;
                throw;
            }

            var buffer = result.Buffer;
            try
            {
                foreach (var segment in buffer)
                {
                    await stream.WriteAsync(segment, cancellationToken);
                }
            }
            catch (Exception)
            {
                Error = ForwarderError.RequestBodyDestination;
                source.AdvanceTo(buffer.End);
                throw;
            }

            source.AdvanceTo(buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        // A streamed body's Content-Length, when the client sent one, is copied as a header; otherwise it goes chunked.
        length = _source is null ? _buffered.Length : -1;
        return _source is null;
    }
}
