using Lattice.Orchestrator.Execution;

namespace Lattice.Orchestrator.Tests.Execution;

public sealed class BoundedBodyTests
{
    /// <summary>Hands out at most <c>chunk</c> bytes per read, like a body that arrives in small pieces.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    private static byte[] Bytes(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i % 251))];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Read_ExactlyTheLimit_IsKeptWhole(bool declared)
    {
        var data = Bytes(10_000);

        using var body = await BoundedBody.ReadAsync(new TrickleStream(data, 777), declared ? data.Length : null, 10_000, TestContext.Current.CancellationToken);

        Assert.True(body.WithinLimit);
        Assert.True(body.Span.SequenceEqual(data));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Read_OneByteOverTheLimit_IsRefused(bool declared)
    {
        var data = Bytes(10_001);

        using var body = await BoundedBody.ReadAsync(new TrickleStream(data, 777), declared ? data.Length : null, 10_000, TestContext.Current.CancellationToken);

        Assert.False(body.WithinLimit);
        Assert.True(body.Span.IsEmpty);
    }

    [Fact]
    public async Task Read_DeclaredLengthLargerThanTheBody_KeepsWhatCame()
    {
        var data = Bytes(300);

        using var body = await BoundedBody.ReadAsync(new MemoryStream(data), 1_000_000, 4 * 1024 * 1024, TestContext.Current.CancellationToken);

        Assert.True(body.WithinLimit);
        Assert.Equal(300, body.Span.Length);
    }

    [Fact]
    public async Task Read_LargeBodyWithLargeDeclaredLength_GrowsPastTheFirstBuffer()
    {
        var data = Bytes(1_000_000);

        using var body = await BoundedBody.ReadAsync(new TrickleStream(data, 65_536), data.Length, 4 * 1024 * 1024, TestContext.Current.CancellationToken);

        Assert.True(body.WithinLimit);
        Assert.True(body.Span.SequenceEqual(data));
    }

    [Fact]
    public async Task Read_Empty_IsWithinLimitAndEmpty()
    {
        using var body = await BoundedBody.ReadAsync(new MemoryStream(), 0, 100, TestContext.Current.CancellationToken);

        Assert.True(body.WithinLimit);
        Assert.True(body.Span.IsEmpty);
    }
}
