using System.Diagnostics;
using System.Text.Json;
using Lattice.ServiceDefaults.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Lattice.ServiceDefaults.Tests.Logging;

public sealed class JsonLineConsoleFormatterTests
{
    private sealed class StaticOptions(ConsoleFormatterOptions value) : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue => value;

        public ConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }

    [Fact]
    public void Write_InsideActivity_EmitsOneJsonLineWithTraceIdsAndNamedValues()
    {
        var sut = new JsonLineConsoleFormatter(new StaticOptions(new ConsoleFormatterOptions { UseUtcTimestamp = true }));
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        var state = new List<KeyValuePair<string, object?>>
        {
            new("ModelName", "sentiment"),
            new("Version", 3),
            new("{OriginalFormat}", "Loaded {ModelName} v{Version}"),
        };
        var entry = new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(
            LogLevel.Information, "Lattice.Hosting", new EventId(7, "ModelLoaded"), state, null, (_, _) => "Loaded sentiment v3");
        using var output = new StringWriter();

        sut.Write(entry, null, output);

        var text = output.ToString();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal("Information", json.GetProperty("level").GetString());
        Assert.Equal("Lattice.Hosting", json.GetProperty("category").GetString());
        Assert.Equal("Loaded sentiment v3", json.GetProperty("message").GetString());
        Assert.Equal(7, json.GetProperty("eventId").GetInt32());
        Assert.Equal(activity.TraceId.ToHexString(), json.GetProperty("traceId").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), json.GetProperty("spanId").GetString());
        Assert.Equal("sentiment", json.GetProperty("ModelName").GetString());
        Assert.Equal(3, json.GetProperty("Version").GetInt32());
        Assert.True(DateTimeOffset.TryParse(json.GetProperty("timestamp").GetString(), out _));
        Assert.False(json.TryGetProperty("{OriginalFormat}", out _));
    }

    [Fact]
    public void Write_UnsignedValueAboveLongMax_WritesTheNumberInsteadOfThrowing()
    {
        // A ulong past long.MaxValue (a hash, an id) made the formatter throw at the log call, failing the caller.
        var sut = new JsonLineConsoleFormatter(new StaticOptions(new ConsoleFormatterOptions()));
        var state = new List<KeyValuePair<string, object?>>
        {
            new("KeyHash", ulong.MaxValue),
            new("{OriginalFormat}", "Cached {KeyHash}"),
        };
        var entry = new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(
            LogLevel.Information, "Lattice.Gateway", new EventId(1), state, null, (_, _) => "Cached 18446744073709551615");
        using var output = new StringWriter();

        sut.Write(entry, null, output);

        var json = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal(ulong.MaxValue, json.GetProperty("KeyHash").GetUInt64());
    }

    [Fact]
    public void Write_Exception_IsOneLineEvenWithMultilineStackTrace()
    {
        var sut = new JsonLineConsoleFormatter(new StaticOptions(new ConsoleFormatterOptions()));
        Exception error;
        try
        {
            throw new InvalidOperationException("line one\nline two");
        }
        catch (InvalidOperationException e)
        {
            error = e;
        }

        var entry = new LogEntry<string>(LogLevel.Error, "cat", default, "state", error, (s, _) => s);
        using var output = new StringWriter();

        sut.Write(entry, null, output);

        Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("line two", JsonDocument.Parse(output.ToString()).RootElement.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }
}
