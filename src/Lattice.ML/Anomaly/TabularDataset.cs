using System.Globalization;

namespace Lattice.ML.Anomaly;

/// <summary>A dense numeric table (row-major) with an optional binary label per row (true = anomaly / fraud).</summary>
public sealed class TabularDataset
{
    public TabularDataset(float[] features, int columns, bool[] labels, IReadOnlyList<string>? columnNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (features.Length != columns * labels.Length)
        {
            throw new ArgumentException($"{features.Length} feature values do not make {labels.Length} rows of {columns} columns.", nameof(features));
        }

        Features = features;
        Columns = columns;
        Labels = labels;
        ColumnNames = columnNames ?? Enumerable.Range(1, columns).Select(c => $"v{c}").ToArray();
    }

    public float[] Features { get; }

    public int Columns { get; }

    public bool[] Labels { get; }

    public IReadOnlyList<string> ColumnNames { get; }

    public int Rows => Labels.Length;

    public int PositiveCount => Labels.Count(l => l);

    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * Columns, Columns);

    /// <summary>A copy holding only <paramref name="rows"/>, in that order.</summary>
    public TabularDataset Subset(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var features = new float[rows.Count * Columns];
        var labels = new bool[rows.Count];
        for (var n = 0; n < rows.Count; n++)
        {
            Row(rows[n]).CopyTo(features.AsSpan(n * Columns, Columns));
            labels[n] = Labels[rows[n]];
        }

        return new TabularDataset(features, Columns, labels, ColumnNames);
    }
}

/// <summary>Reads the ODDS benchmark CSVs (<c>label,v1..vN</c> with labels <c>nominal</c>/<c>anomaly</c>).</summary>
public static class OddsDataset
{
    /// <summary>The six ODDS sets shipped in shared/datasets/anomaly/odds.</summary>
    public static IReadOnlyList<string> Names { get; } = ["thyroid", "annthyroid", "mammography", "cardio", "satellite", "shuttle"];

    public static TabularDataset Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty.");
        var names = header.Trim().Split(',')[1..];
        var features = new List<float>();
        var labels = new List<bool>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            if (fields.Length != names.Length + 1)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected {names.Length + 1} fields, found {fields.Length}.");
            }

            labels.Add(fields[0] switch
            {
                "anomaly" => true,
                "nominal" => false,
                _ => throw new InvalidDataException($"{path}:{lineNumber}: unknown label '{fields[0]}'."),
            });
            for (var c = 1; c < fields.Length; c++)
            {
                features.Add(float.Parse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture));
            }
        }

        return new TabularDataset([.. features], names.Length, [.. labels], names);
    }
}
