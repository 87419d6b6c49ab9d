using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lattice.Gateway.Tests.Forwarding;

/// <summary>Runs alone: it measures the whole process's allocations, which parallel tests would blur.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class StreamingCollection;

[Collection(typeof(StreamingCollection))]
public sealed class StreamingTests
{
    private const long HundredMegabytes = 100L * 1024 * 1024;
    private const int Chunk = 64 * 1024;
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>Writes <see cref="HundredMegabytes"/> from one reused buffer; pauses after the first megabyte until told the upstream saw bytes.</summary>
    private sealed class GeneratedContent(Task upstreamSawBytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var buffer = new byte[Chunk];
            for (long written = 0; written < HundredMegabytes; written += Chunk)
            {
                if (written == 16 * Chunk)
                {
                    await stream.FlushAsync();

                    // A gateway that buffered the body would make this wait time out.
                    await upstreamSawBytes.WaitAsync(TimeSpan.FromSeconds(20));
                }

                await stream.WriteAsync(buffer);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = HundredMegabytes;
            return true;
        }
    }

    [Fact]
    public async Task Forward_100MegabyteUpload_StreamsWithFlatMemory()
    {
        var sawBytes = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await Upstreams.StartAsync(app => app.MapPost("/sink", async (HttpRequest request) =>
        {
            // Kestrel's own 30 MB default would refuse the body on the first read.
            request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
            var buffer = new byte[Chunk];
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer)) > 0)
            {
                total += read;
                sawBytes.TrySetResult();
            }

            return Results.Text(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }));
        var settings = GatewayHost.Route("sink", "/api/sink", "sink", "/sink", [upstream.BaseAddress])
            .With("Lattice:Gateway:Routes:sink:MaxRequestBodyBytes", (2 * HundredMegabytes).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var sut = await GatewayHost.StartAsync(settings);
        using var client = sut.CreateClient();
        await client.GetAsync("/health/live", Ct);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var response = await client.PostAsync("/api/sink", new GeneratedContent(sawBytes.Task), Ct);
        var received = await response.Content.ReadAsStringAsync(Ct);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HundredMegabytes.ToString(System.Globalization.CultureInfo.InvariantCulture), received);
        // Client, gateway and upstream share this process: together they allocated a small fraction of the body.
        Assert.True(allocated < HundredMegabytes / 4, $"Allocated {allocated / (1024 * 1024)} MB while streaming 100 MB.");
    }

    [Fact]
    public async Task Forward_100MegabyteDownload_ReachesTheClientBeforeTheUpstreamFinishes()
    {
        var clientSawBytes = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await Upstreams.StartAsync(app => app.MapGet("/source", async (HttpResponse response) =>
        {
            response.ContentLength = HundredMegabytes;
            var buffer = new byte[Chunk];
            for (long written = 0; written < HundredMegabytes; written += Chunk)
            {
                if (written == 16 * Chunk)
                {
                    await response.Body.FlushAsync();
                    await clientSawBytes.Task.WaitAsync(TimeSpan.FromSeconds(20));
                }

                await response.Body.WriteAsync(buffer);
            }
        }));
        await using var sut = await GatewayHost.StartAsync(GatewayHost.Route("source", "/api/source", "source", "/source", [upstream.BaseAddress]));
        using var client = sut.CreateClient();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        using var response = await client.GetAsync("/api/source", HttpCompletionOption.ResponseHeadersRead, Ct);
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        var buffer = new byte[Chunk];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, Ct)) > 0)
        {
            total += read;
            clientSawBytes.TrySetResult();
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(HundredMegabytes, total);
        Assert.True(allocated < HundredMegabytes / 4, $"Allocated {allocated / (1024 * 1024)} MB while streaming 100 MB.");
    }
}
