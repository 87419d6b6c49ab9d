using System.IO.Pipelines;
using System.Net;

namespace Lattice.Gateway.Forwarding;

/// <summary>
/// The client's request body, streamed to the replica straight out of Kestrel's buffers (never fully
/// buffered). It records which side failed, so a failure maps to the right <see cref="ForwarderError"/>,
/// and whether it started, so a retry is only attempted when no byte left the gateway.
/// </summary>
internal sealed class StreamingRequestContent(PipeReader source) : HttpContent
{
    private int _started;

    /// <summary>True once the body started flowing to a replica; from then on the request cannot be repeated.</summary>
    public bool Started => Volatile.Read(ref _started) != 0;

    /// <summary>What went wrong while copying, or <see cref="ForwarderError.None"/>.</summary>
    public ForwarderError Error { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The request body was already sent and cannot be sent twice.");
        }

        while (true)
        {
            ReadResult result;
            try
            {
                result = await source.ReadAsync(cancellationToken);
            }
            catch (BadHttpRequestException bad) when (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                Error = ForwarderError.RequestBodyTooLarge;
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
        // Content-Length, when the client sent one, is copied as a header; otherwise the body goes chunked.
        length = -1;
        return false;
    }
}
