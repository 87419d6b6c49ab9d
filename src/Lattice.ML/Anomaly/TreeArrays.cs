namespace Lattice.ML.Anomaly;

/// <summary>Checks of flat tree arrays read from a file, so a corrupt model cannot index out of range or loop.</summary>
internal static class TreeArrays
{
    /// <summary>Children come after their parent (so traversal terminates) and every index is in range.</summary>
    public static bool Valid(int[] roots, int[] feature, int[] left, int[] right, int columns)
    {
        var nodes = feature.Length;
        foreach (var root in roots)
        {
            if ((uint)root >= (uint)nodes)
            {
                return false;
            }
        }

        for (var n = 0; n < nodes; n++)
        {
            if (feature[n] >= columns || (feature[n] >= 0 && (left[n] <= n || left[n] >= nodes || right[n] <= n || right[n] >= nodes)))
            {
                return false;
            }
        }

        return true;
    }
}
