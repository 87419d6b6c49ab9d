namespace Lattice.ML.Anomaly;

/// <summary>
/// Exact path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, Algorithm 2; a port of the reference
/// <c>tree_shap_recursive</c>): Shapley values of one tree's output where a missing feature is integrated out
/// by the training cover of each branch. O(leaves · depth²) per tree.
/// </summary>
internal static class TreeShap
{
    private struct PathElement
    {
        public int Feature;
        public double ZeroFraction;
        public double OneFraction;
        public double Weight;
    }

    /// <summary>Adds the tree's SHAP values for <paramref name="row"/> to <paramref name="phi"/>.</summary>
    public static void Add(FlatTrees trees, float[] values, float[] cover, int root, int maxDepth, ReadOnlySpan<float> row, Span<double> phi)
    {
        var size = (maxDepth + 2) * (maxDepth + 3) / 2;
        var path = size <= 512 ? stackalloc PathElement[size] : new PathElement[size];
        Recurse(trees, values, cover, row, phi, root, 0, path, 1, 1, -1);
    }

    /// <summary>The tree's expected output over the training data: leaf values weighted by cover.</summary>
    public static double ExpectedValue(FlatTrees trees, float[] values, float[] cover, int node) =>
        trees.Feature[node] < 0
            ? values[node]
            : ((cover[trees.Left[node]] * ExpectedValue(trees, values, cover, trees.Left[node]))
               + (cover[trees.Right[node]] * ExpectedValue(trees, values, cover, trees.Right[node]))) / cover[node];

    /// <summary>Depth of the deepest leaf below <paramref name="node"/> (0 for a leaf).</summary>
    public static int Depth(FlatTrees trees, int node) =>
        trees.Feature[node] < 0 ? 0 : 1 + Math.Max(Depth(trees, trees.Left[node]), Depth(trees, trees.Right[node]));

    private static void Recurse(
        FlatTrees trees, float[] values, float[] cover, ReadOnlySpan<float> row, Span<double> phi, int node, int depth,
        Span<PathElement> parentPath, double parentZero, double parentOne, int parentFeature)
    {
        // Each level works on its own copy of the path, stored right after the parent's.
        var path = parentPath[(depth + 1)..];
        parentPath[..(depth + 1)].CopyTo(path);
        Extend(path, depth, parentZero, parentOne, parentFeature);
        var feature = trees.Feature[node];
        if (feature < 0)
        {
            for (var i = 1; i <= depth; i++)
            {
                var w = UnwoundSum(path, depth, i);
                phi[path[i].Feature] += w * (path[i].OneFraction - path[i].ZeroFraction) * values[node];
            }

            return;
        }

        var left = trees.Left[node];
        var right = trees.Right[node];
        var (hot, cold) = row[feature] <= trees.Threshold[node] ? (left, right) : (right, left);
        var hotZero = cover[hot] / cover[node];
        var coldZero = cover[cold] / cover[node];
        double incomingZero = 1, incomingOne = 1;
        var previous = 0;
        while (previous <= depth && path[previous].Feature != feature)
        {
            previous++;
        }

        if (previous <= depth)
        {
            // The feature was split on higher up: undo that extension and redo it here.
            incomingZero = path[previous].ZeroFraction;
            incomingOne = path[previous].OneFraction;
            Unwind(path, depth, previous);
            depth--;
        }

        Recurse(trees, values, cover, row, phi, hot, depth + 1, path, hotZero * incomingZero, incomingOne, feature);
        Recurse(trees, values, cover, row, phi, cold, depth + 1, path, coldZero * incomingZero, 0, feature);
    }

    private static void Extend(Span<PathElement> path, int depth, double zero, double one, int feature)
    {
        path[depth] = new PathElement { Feature = feature, ZeroFraction = zero, OneFraction = one, Weight = depth == 0 ? 1 : 0 };
        for (var i = depth - 1; i >= 0; i--)
        {
            path[i + 1].Weight += one * path[i].Weight * (i + 1) / (depth + 1);
            path[i].Weight = zero * path[i].Weight * (depth - i) / (depth + 1);
        }
    }

    private static void Unwind(Span<PathElement> path, int depth, int index)
    {
        var one = path[index].OneFraction;
        var zero = path[index].ZeroFraction;
        var next = path[depth].Weight;
        for (var i = depth - 1; i >= 0; i--)
        {
            if (one != 0)
            {
                var tmp = path[i].Weight;
                path[i].Weight = next * (depth + 1) / ((i + 1) * one);
                next = tmp - (path[i].Weight * zero * (depth - i) / (depth + 1));
            }
            else
            {
                path[i].Weight = path[i].Weight * (depth + 1) / (zero * (depth - i));
            }
        }

        for (var i = index; i < depth; i++)
        {
            path[i].Feature = path[i + 1].Feature;
            path[i].ZeroFraction = path[i + 1].ZeroFraction;
            path[i].OneFraction = path[i + 1].OneFraction;
        }
    }

    private static double UnwoundSum(Span<PathElement> path, int depth, int index)
    {
        var one = path[index].OneFraction;
        var zero = path[index].ZeroFraction;
        var next = path[depth].Weight;
        double total = 0;
        if (one != 0)
        {
            for (var i = depth - 1; i >= 0; i--)
            {
                var tmp = next / ((i + 1) * one);
                total += tmp;
                next = path[i].Weight - (tmp * zero * (depth - i));
            }
        }
        else
        {
            for (var i = depth - 1; i >= 0; i--)
            {
                total += path[i].Weight / (zero * (depth - i));
            }
        }

        return total * (depth + 1);
    }
}
