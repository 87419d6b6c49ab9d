namespace Lattice.ML.Forecasting;

/// <summary>The M4 competition's accuracy measures (Makridakis et al. 2020; the organisers' R code).</summary>
public static class ForecastAccuracy
{
    /// <summary>sMAPE in percent: (200/h) Σ |y − ŷ| / (|y| + |ŷ|).</summary>
    public static double Smape(ReadOnlySpan<double> actual, ReadOnlySpan<double> forecast)
    {
        CheckLengths(actual, forecast);
        double sum = 0;
        for (var t = 0; t < actual.Length; t++)
        {
            var denominator = Math.Abs(actual[t]) + Math.Abs(forecast[t]);
            sum += denominator == 0 ? 0 : 200 * Math.Abs(actual[t] - forecast[t]) / denominator;
        }

        return sum / actual.Length;
    }

    /// <summary>
    /// MASE: mean absolute error divided by the in-sample mean absolute seasonal difference at lag
    /// <paramref name="seasonLength"/> (M4 uses m = 24 for hourly and 1 for weekly).
    /// </summary>
    public static double Mase(ReadOnlySpan<double> insample, ReadOnlySpan<double> actual, ReadOnlySpan<double> forecast, int seasonLength)
    {
        CheckLengths(actual, forecast);
        ArgumentOutOfRangeException.ThrowIfLessThan(seasonLength, 1);
        if (insample.Length <= seasonLength)
        {
            throw new ArgumentException($"MASE needs more than {seasonLength} in-sample points.", nameof(insample));
        }

        double scale = 0;
        for (var t = seasonLength; t < insample.Length; t++)
        {
            scale += Math.Abs(insample[t] - insample[t - seasonLength]);
        }

        scale /= insample.Length - seasonLength;
        double error = 0;
        for (var t = 0; t < actual.Length; t++)
        {
            error += Math.Abs(actual[t] - forecast[t]);
        }

        return error / actual.Length / scale;
    }

    /// <summary>OWA: the mean of sMAPE and MASE, each relative to Naive2's (all four are averages over the same series).</summary>
    public static double Owa(double smape, double mase, double naive2Smape, double naive2Mase) =>
        0.5 * ((smape / naive2Smape) + (mase / naive2Mase));

    private static void CheckLengths(ReadOnlySpan<double> actual, ReadOnlySpan<double> forecast)
    {
        if (actual.Length != forecast.Length || actual.Length == 0)
        {
            throw new ArgumentException($"Actual ({actual.Length}) and forecast ({forecast.Length}) must have the same, non-zero length.", nameof(forecast));
        }
    }
}

/// <summary>One M4 series: its id, training part and the held-out horizon.</summary>
public sealed record M4Series(string Id, double[] Train, double[] Test);

/// <summary>Reads the M4 competition CSVs (quoted values, first column the id, training rows padded with empty strings).</summary>
public static class M4Dataset
{
    public static IReadOnlyList<M4Series> Read(string trainPath, string testPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(trainPath);
        ArgumentException.ThrowIfNullOrEmpty(testPath);
        var train = ReadRows(trainPath);
        var test = ReadRows(testPath).ToDictionary(r => r.Id, r => r.Values, StringComparer.Ordinal);
        return train.Select(r => new M4Series(r.Id, r.Values, test.TryGetValue(r.Id, out var t) ? t : throw new InvalidDataException($"{testPath} lacks series {r.Id}."))).ToArray();
    }

    private static List<(string Id, double[] Values)> ReadRows(string path)
    {
        var rows = new List<(string, double[])>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            var values = new List<double>(fields.Length);
            for (var n = 1; n < fields.Length; n++)
            {
                var field = fields[n].Trim().Trim('"');
                if (field.Length > 0)
                {
                    values.Add(double.Parse(field, System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            rows.Add((fields[0].Trim('"'), [.. values]));
        }

        return rows;
    }
}
