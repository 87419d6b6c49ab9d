using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Lattice.ServiceDefaults.Logging;

/// <summary>
/// Writes one JSON object per log line with top-level <c>timestamp</c>, <c>level</c>, <c>category</c>,
/// <c>eventId</c>, <c>message</c>, <c>traceId</c> and <c>spanId</c>, then the message's named values.
/// The built-in JSON formatter nests trace ids inside scopes, which log shippers cannot index directly.
/// </summary>
internal sealed class JsonLineConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
    : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "lattice-json";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            var now = options.CurrentValue.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            writer.WriteString("timestamp", now.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("level", LevelName(logEntry.LogLevel));
            writer.WriteString("category", logEntry.Category);
            if (logEntry.EventId.Id != 0)
            {
                writer.WriteNumber("eventId", logEntry.EventId.Id);
            }

            if (!string.IsNullOrEmpty(logEntry.EventId.Name))
            {
                writer.WriteString("eventName", logEntry.EventId.Name);
            }

            writer.WriteString("message", message ?? string.Empty);
            var activity = Activity.Current;
            if (activity is not null)
            {
                writer.WriteString("traceId", activity.TraceId.ToHexString());
                writer.WriteString("spanId", activity.SpanId.ToHexString());
            }

            if (logEntry.Exception is not null)
            {
                writer.WriteString("exception", logEntry.Exception.ToString());
            }

            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                WriteValues(writer, values);
            }

            if (options.CurrentValue.IncludeScopes && scopeProvider is not null)
            {
                WriteScopes(writer, scopeProvider);
            }

            writer.WriteEndObject();
        }

        textWriter.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        textWriter.Write('\n');
    }

    private static void WriteValues(Utf8JsonWriter writer, IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        foreach (var (key, value) in values)
        {
            if (key == "{OriginalFormat}" || IsReserved(key))
            {
                continue;
            }

            WriteValue(writer, key, value);
        }
    }

    private static void WriteScopes(Utf8JsonWriter writer, IExternalScopeProvider scopeProvider)
    {
        writer.WriteStartArray("scopes");
        scopeProvider.ForEachScope(
            static (scope, state) =>
            {
                if (scope is IReadOnlyList<KeyValuePair<string, object?>> values)
                {
                    state.WriteStartObject();
                    foreach (var (key, value) in values)
                    {
                        if (key != "{OriginalFormat}")
                        {
                            WriteValue(state, key, value);
                        }
                    }

                    state.WriteEndObject();
                }
                else if (scope is not null)
                {
                    state.WriteStringValue(Convert.ToString(scope, CultureInfo.InvariantCulture));
                }
            },
            writer);
        writer.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, string key, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(key);
                break;
            case bool b:
                writer.WriteBoolean(key, b);
                break;
            case int or long or short or byte or uint or ushort or sbyte:
                writer.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                // Not through Int64: past long.MaxValue that threw, at the log call.
                writer.WriteNumber(key, u);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumber(key, d);
                break;
            case float f when float.IsFinite(f):
                writer.WriteNumber(key, f);
                break;
            case decimal m:
                writer.WriteNumber(key, m);
                break;
            default:
                writer.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static bool IsReserved(string key) => key is "timestamp" or "level" or "category" or "eventId" or "eventName"
        or "message" or "traceId" or "spanId" or "exception" or "scopes";

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => "None",
    };
}
