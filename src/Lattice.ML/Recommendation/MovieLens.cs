namespace Lattice.ML.Recommendation;

/// <summary>Reads MovieLens 100K rating files (<c>user&lt;TAB&gt;item&lt;TAB&gt;rating&lt;TAB&gt;timestamp</c>).</summary>
public static class MovieLens
{
    /// <summary>Reads every rating of a <c>u.data</c>-style file.</summary>
    public static IReadOnlyList<Rating> ReadRatings(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ratings = new List<Rating>(100_000);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length < 3 || !float.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected user, item, rating separated by tabs.");
            }

            ratings.Add(new Rating(fields[0], fields[1], value));
        }

        return ratings;
    }
}
