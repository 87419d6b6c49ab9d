using System.Globalization;

namespace Lattice.Cli.Platform;

/// <summary>The size strings of lattice.yaml: a number of bytes, or one with KiB, MiB or GiB ("512KiB", "10MiB", "1.5GiB").</summary>
internal static class ByteSizes
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        (string Suffix, long Unit)[] units = [("KiB", KiB), ("MiB", MiB), ("GiB", GiB), (string.Empty, 1)];
        foreach (var (suffix, unit) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var amount)
                && amount * unit < long.MaxValue)
            {
                bytes = (long)(amount * unit);
                return true;
            }
        }

        return false;
    }
}
