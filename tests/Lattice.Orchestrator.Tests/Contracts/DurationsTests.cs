using Lattice.Contracts;

namespace Lattice.Orchestrator.Tests.Contracts;

/// <summary>Durations lives in Lattice.Contracts, which has no test project; the pipeline loader is its main reader.</summary>
public sealed class DurationsTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1500)]
    [InlineData(" 2m ", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:02", 2000)]
    public void TryParse_Duration_GivesValue(string text, double expectedMilliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-1s")]
    [InlineData("99999999999999999999s")]
    [InlineData("99999999999999999999ms")]
    [InlineData("3000000000h")]
    [InlineData("NaNms")]
    [InlineData("NaNs")]
    [InlineData("Infinityh")]
    [InlineData("∞s")]
    [InlineData("99999999.99:00:00")]
    public void TryParse_NotADurationOrOutOfRange_IsFalseNotException(string? text)
    {
        Assert.False(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }
}
