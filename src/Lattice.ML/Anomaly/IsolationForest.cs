using Lattice.ML.ModelFiles;
using Lattice.ML.Tabular;

namespace Lattice.ML.Anomaly;

/// <summary>Options of <see cref="IsolationForest"/>; defaults are Liu et al. (2008) and scikit-learn/PyOD's.</summary>
public sealed record IsolationForestOptions
{
    public int Trees { get; init; } = 100;

    /// <summary>ψ, rows drawn without replacement per tree (256 in the paper); the height limit is ⌈log2 ψ⌉.</summary>
    public int SampleSize { get; init; } = 256;

    public int Seed { get; init; } = 42;
}

/// <summary>
/// Isolation forest (Liu, Ting and Zhou, ICDM 2008): random axis-parallel splits isolate anomalies in few steps;
/// score s(x) = 2^(−E[h(x)] / c(ψ)) where h adds c(size) at a leaf for the unbuilt subtree. Immutable and thread-safe.
/// </summary>
public sealed class IsolationForest
{
    /// <summary>The model file's <c>algorithm</c>.</summary>
    public const string AlgorithmName = "isolation-forest";

    // A leaf's threshold holds its path-length adjustment c(size).
    private readonly FlatTrees _trees;
    private readonly float _normalizer;

    private IsolationForest(int columns, int sampleSize, FlatTrees trees)
    {
        Columns = columns;
        SampleSize = sampleSize;
        _trees = trees;
        _normalizer = (float)AveragePathLength(sampleSize);
    }

    public int Columns { get; }

    public int SampleSize { get; }

    public int TreeCount => _trees.Roots.Length;

    /// <summary>c(n): the average path length of an unsuccessful search in a binary search tree of n points.</summary>
    public static double AveragePathLength(double n) => n switch
    {
        <= 1 => 0,
        2 => 1,
        _ => (2 * (Math.Log(n - 1) + 0.5772156649015329)) - (2 * (n - 1) / n),
    };

    /// <summary>Builds the forest on <paramref name="data"/> (labels ignored).</summary>
    public static IsolationForest Train(TabularDataset data, IsolationForestOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new IsolationForestOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Trees, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SampleSize, 2);
        if (data.Rows < 2)
        {
            throw new ArgumentException("An isolation forest needs at least two rows.", nameof(data));
        }

        var psi = Math.Min(options.SampleSize, data.Rows);
        var heightLimit = (int)Math.Ceiling(Math.Log2(psi));
        var random = new Random(options.Seed);
        var builder = new Builder(data, random, heightLimit);
        var all = Enumerable.Range(0, data.Rows).ToArray();
        var roots = new int[options.Trees];
        for (var t = 0; t < options.Trees; t++)
        {
            // Partial Fisher–Yates: the first ψ entries become a sample without replacement.
            for (var n = 0; n < psi; n++)
            {
                var pick = random.Next(n, all.Length);
                (all[n], all[pick]) = (all[pick], all[n]);
            }

            var sample = all[..psi];
            roots[t] = builder.Build(sample, 0, psi, 0);
        }

        return new IsolationForest(data.Columns, psi, new FlatTrees(roots, [.. builder.Feature], [.. builder.Threshold], [.. builder.Left], [.. builder.Right]));
    }

    /// <summary>Anomaly score in (0, 1]; above 0.5 leans anomalous. Throws for a wrong width or non-finite values.</summary>
    public double Score(ReadOnlySpan<float> row)
    {
        FlatTrees.CheckRow(row, Columns);
        var (feature, threshold, left, right) = (_trees.Feature, _trees.Threshold, _trees.Left, _trees.Right);
        double total = 0;
        foreach (var root in _trees.Roots)
        {
            var node = root;
            var depth = 0;
            while (feature[node] >= 0)
            {
                node = row[feature[node]] < threshold[node] ? left[node] : right[node];
                depth++;
            }

            total += depth + threshold[node];
        }

        return Math.Pow(2, -(total / _trees.Roots.Length) / _normalizer);
    }

    /// <summary>Scores every row of <paramref name="data"/>.</summary>
    public double[] ScoreAll(TabularDataset data) => FlatTrees.ScoreRows(data, Score);

    /// <summary>Builds the model file; the caller names and versions it.</summary>
    public ModelFileWriter ToModelFile(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return _trees.AddTo(new ModelFileWriter(metadata with { Task = "anomaly-detection", Algorithm = AlgorithmName })
            .Add<int>("config", [Columns, SampleSize]));
    }

    /// <summary>Loads a forest from a verified model file; throws <see cref="ModelFileException"/> when it is inconsistent.</summary>
    public static IsolationForest FromModelFile(ModelFile file)
    {
        TabularModelFile.RequireAlgorithm(file, AlgorithmName);
        var config = file.Read<int>("config", 2);
        TabularModelFile.Require(file, config[0] > 0 && config[1] > 1, "bad configuration");
        return new IsolationForest(config[0], config[1], FlatTrees.Read(file, config[0]));
    }

    private sealed class Builder(TabularDataset data, Random random, int heightLimit)
    {
        private readonly int[] _candidates = new int[data.Columns];
        private readonly float[] _min = new float[data.Columns];
        private readonly float[] _max = new float[data.Columns];

        public List<int> Feature { get; } = [];

        public List<float> Threshold { get; } = [];

        public List<int> Left { get; } = [];

        public List<int> Right { get; } = [];

        public int Build(int[] rows, int start, int end, int depth)
        {
            var node = Feature.Count;
            Feature.Add(-1);
            Threshold.Add((float)AveragePathLength(end - start));
            Left.Add(-1);
            Right.Add(-1);
            if (depth >= heightLimit || end - start <= 1)
            {
                return node;
            }

            // Only features that vary in this node can split it (scikit-learn keeps drawing until one does).
            var candidates = 0;
            for (var c = 0; c < data.Columns; c++)
            {
                float min = float.PositiveInfinity, max = float.NegativeInfinity;
                for (var n = start; n < end; n++)
                {
                    var v = data.Features[(rows[n] * data.Columns) + c];
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }

                _min[c] = min;
                _max[c] = max;
                if (max > min)
                {
                    _candidates[candidates++] = c;
                }
            }

            if (candidates == 0)
            {
                return node;
            }

            var feature = _candidates[random.Next(candidates)];
            var threshold = (float)(_min[feature] + (random.NextDouble() * (_max[feature] - _min[feature])));
            if (threshold <= _min[feature])
            {
                // Float rounding can land on the minimum, which would leave the left side empty.
                threshold = MathF.BitIncrement(_min[feature]);
            }

            var split = start;
            for (var n = start; n < end; n++)
            {
                if (data.Features[(rows[n] * data.Columns) + feature] < threshold)
                {
                    (rows[split], rows[n]) = (rows[n], rows[split]);
                    split++;
                }
            }

            Feature[node] = feature;
            Threshold[node] = threshold;
            Left[node] = Build(rows, start, split, depth + 1);
            Right[node] = Build(rows, split, end, depth + 1);
            return node;
        }
    }
}
