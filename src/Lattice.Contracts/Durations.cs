using System.Globalization;

namespace Lattice.Contracts;

/// <summary>
/// The duration strings of Lattice's YAML files (lattice.yaml, pipelines): "250ms", "2s", "1.5s", "1m", "1h", or a
/// TimeSpan ("00:00:02"). Callers check the range they allow.
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
                value = TimeSpan.FromMilliseconds(amount * milliseconds);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }
}
