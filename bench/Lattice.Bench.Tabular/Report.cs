namespace Lattice.Bench.Tabular;

/// <summary>Fixed-width rows: what, our figure, the published one, the time it took.</summary>
internal static class Report
{
    public static void Header(string title)
    {
        Console.WriteLine();
        Console.WriteLine($"== {title}");
        Console.WriteLine($"{"dataset / method",-44} {"metric",-10} {"ours",10} {"published",10} {"time",9}");
    }

    public static void Row(string what, string metric, double ours, double? published, double seconds) =>
        Console.WriteLine(FormattableString.Invariant(
            $"{what,-44} {metric,-10} {ours,10:F4} {(published is { } p ? p.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) : "-"),10} {Time(seconds),9}"));

    private static string Time(double seconds) => seconds switch
    {
        0 => "",
        < 1 => FormattableString.Invariant($"{seconds * 1000:F1}ms"),
        _ => FormattableString.Invariant($"{seconds:F1}s"),
    };

    public static void Note(string text) => Console.WriteLine($"   {text}");
}
