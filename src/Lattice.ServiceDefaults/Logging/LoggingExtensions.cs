using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Lattice.ServiceDefaults.Logging;

/// <summary>Console logging: JSON lines by default, plain text when <c>Lattice:Logging:Format</c> is <c>text</c>.</summary>
internal static class LoggingExtensions
{
    public const string FormatKey = "Lattice:Logging:Format";

    public static IHostApplicationBuilder AddLatticeLogging(this IHostApplicationBuilder builder)
    {
        var format = builder.Configuration[FormatKey];
        builder.Logging.ClearProviders();
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (string.Equals(format, "text", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            return builder;
        }

        if (!string.IsNullOrEmpty(format) && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{FormatKey} must be 'json' or 'text', not '{format}'.");
        }

        builder.Logging.AddConsole(o => o.FormatterName = JsonLineConsoleFormatter.FormatterName);
        builder.Logging.AddConsoleFormatter<JsonLineConsoleFormatter, ConsoleFormatterOptions>(o => o.UseUtcTimestamp = true);
        return builder;
    }
}
