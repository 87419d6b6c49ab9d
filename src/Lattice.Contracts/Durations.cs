using System.Globalization;

namespace Lattice.Contracts;

/// <summary>
/// The duration strings of Lattice's YAML files (lattice.yaml, pipelines): "250ms", "2s", "1.5s", "1m", "1h", or a
/// TimeSpan ("00:00:02"). Callers check the range they allow. Total: text that is not a duration, NaN, infinity or a
/// value beyond <see cref="TimeSpan.MaxValue"/> gives false, never an exception.
/// </summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        (string Suffix, double Milliseconds)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, milliseconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                // double.TryParse also reads "NaN" and "Infinity", and a large amount overflows TimeSpan: each is a
                // false here (TimeSpan.FromMilliseconds would throw), never an exception.
                var ticks = amount * milliseconds * TimeSpan.TicksPerMillisecond;
                if (!(ticks >= 0 && ticks < long.MaxValue))
                {
                    return false;
                }

                value = TimeSpan.FromTicks((long)ticks);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }
}
