using Lattice.ML.ModelFiles;
using Lattice.ML.Tabular;

namespace Lattice.ML.Anomaly;

/// <summary>
/// Trees stored as parallel arrays (one entry per node, every tree appended): the layout shared by the isolation
/// forest and the boosted trees, with its model-file sections and the checks a loaded file must pass.
/// </summary>
internal sealed class FlatTrees(int[] roots, int[] feature, float[] threshold, int[] left, int[] right)
{
    public delegate double RowScore(ReadOnlySpan<float> row);

    public int[] Roots { get; } = roots;

    /// <summary>Split feature, or −1 for a leaf.</summary>
    public int[] Feature { get; } = feature;

    public float[] Threshold { get; } = threshold;

    public int[] Left { get; } = left;

    public int[] Right { get; } = right;

    public ModelFileWriter AddTo(ModelFileWriter writer) => writer
        .Add<int>("roots", Roots)
        .Add<int>("feature", Feature)
        .Add<float>("threshold", Threshold)
        .Add<int>("left", Left)
        .Add<int>("right", Right);

    /// <summary>Reads the sections and checks that children come after their parents (so traversal ends) and every index is in range.</summary>
    public static FlatTrees Read(ModelFile file, int columns)
    {
        var feature = file.Read<int>("feature");
        var nodes = feature.Length;
        var trees = new FlatTrees(file.Read<int>("roots"), feature, file.Read<float>("threshold", nodes), file.Read<int>("left", nodes), file.Read<int>("right", nodes));
        var valid = columns > 0 && trees.Roots.Length > 0 && trees.Roots.All(r => (uint)r < (uint)nodes);
        for (var n = 0; valid && n < nodes; n++)
        {
            valid = feature[n] < columns
                && (feature[n] < 0 || (trees.Left[n] > n && trees.Left[n] < nodes && trees.Right[n] > n && trees.Right[n] < nodes));
        }

        TabularModelFile.Require(file, valid, "tree structure out of range");
        return trees;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless the row has <paramref name="columns"/> finite values.</summary>
    public static void CheckRow(ReadOnlySpan<float> row, int columns)
    {
        if (row.Length != columns)
        {
            throw new ArgumentException($"Expected {columns} features, got {row.Length}.", nameof(row));
        }

        foreach (var value in row)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException("Features must be finite numbers.", nameof(row));
            }
        }
    }

    public static double[] ScoreRows(TabularDataset data, RowScore score)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = new double[data.Rows];
        for (var r = 0; r < data.Rows; r++)
        {
            result[r] = score(data.Row(r));
        }

        return result;
    }
}
