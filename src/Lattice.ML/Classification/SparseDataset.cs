namespace Lattice.ML.Classification;

/// <summary>Examples as compressed sparse rows: example i has features Rows/Values[Offsets[i]..Offsets[i+1]).</summary>
internal sealed class SparseDataset
{
    public SparseDataset(int[] offsets, int[] rows, float[] values, int[] labels, int featureCount, int classCount)
    {
        if (offsets.Length != labels.Length + 1 || rows.Length != values.Length || offsets[^1] != rows.Length)
        {
            throw new ArgumentException("Inconsistent sparse dataset.");
        }

        Offsets = offsets;
        Rows = rows;
        Values = values;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    public int[] Offsets { get; }

    public int[] Rows { get; }

    public float[] Values { get; }

    public int[] Labels { get; }

    public int FeatureCount { get; }

    public int ClassCount { get; }

    public int Count => Labels.Length;

    public ReadOnlySpan<int> RowsOf(int example) => Rows.AsSpan(Offsets[example], Offsets[example + 1] - Offsets[example]);

    public ReadOnlySpan<float> ValuesOf(int example) => Values.AsSpan(Offsets[example], Offsets[example + 1] - Offsets[example]);

    /// <summary>A new dataset made of the given examples, in that order.</summary>
    public SparseDataset Subset(ReadOnlySpan<int> examples)
    {
        var offsets = new int[examples.Length + 1];
        var labels = new int[examples.Length];
        var total = 0;
        for (var i = 0; i < examples.Length; i++)
        {
            total += Offsets[examples[i] + 1] - Offsets[examples[i]];
            offsets[i + 1] = total;
            labels[i] = Labels[examples[i]];
        }

        var rows = new int[total];
        var values = new float[total];
        for (var i = 0; i < examples.Length; i++)
        {
            RowsOf(examples[i]).CopyTo(rows.AsSpan(offsets[i]));
            ValuesOf(examples[i]).CopyTo(values.AsSpan(offsets[i]));
        }

        return new SparseDataset(offsets, rows, values, labels, FeatureCount, ClassCount);
    }
}
