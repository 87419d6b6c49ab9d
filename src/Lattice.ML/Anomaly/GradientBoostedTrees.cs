using Lattice.ML.ModelFiles;
using Lattice.ML.Tabular;

namespace Lattice.ML.Anomaly;

/// <summary>Options of <see cref="GradientBoostedTrees"/> (LightGBM-like defaults scaled down for small tables).</summary>
public sealed record GradientBoostingOptions
{
    public int MaxRounds { get; init; } = 500;

    public double LearningRate { get; init; } = 0.05;

    /// <summary>Trees grow best-first up to this many leaves.</summary>
    public int MaxLeaves { get; init; } = 15;

    public int MaxDepth { get; init; } = 8;

    public int MinSamplesLeaf { get; init; } = 10;

    public double MinHessian { get; init; } = 1e-3;

    /// <summary>L2 penalty λ on leaf values.</summary>
    public double L2 { get; init; } = 1.0;

    /// <summary>Histogram bins per feature (at most 256, so a bin fits a byte).</summary>
    public int MaxBins { get; init; } = 255;

    /// <summary>Stratified share of the training rows held out for early stopping when no validation set is given.</summary>
    public double ValidationFraction { get; init; } = 0.15;

    /// <summary>Stop after this many rounds without a better validation log-loss; the best round is kept.</summary>
    public int EarlyStoppingRounds { get; init; } = 40;

    public int Seed { get; init; } = 42;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRounds, 1, nameof(MaxRounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLeaves, 2, nameof(MaxLeaves));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 1, nameof(MaxDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSamplesLeaf, 1, nameof(MinSamplesLeaf));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBins, 2, nameof(MaxBins));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBins, 256, nameof(MaxBins));
        ArgumentOutOfRangeException.ThrowIfLessThan(EarlyStoppingRounds, 1, nameof(EarlyStoppingRounds));
        if (!(LearningRate > 0 && LearningRate <= 1) || L2 < 0 || MinHessian < 0 || ValidationFraction is < 0 or >= 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), "Learning rate must be in (0, 1], L2 and MinHessian non-negative, ValidationFraction in [0, 0.5).");
        }
    }
}

/// <summary>
/// Binary gradient-boosted trees: logistic loss, second-order leaf values −G/(H+λ), histogram split search on
/// quantile bins, best-first growth, early stopping on a validation log-loss, and per-prediction feature
/// contributions (exact path-dependent TreeSHAP). Immutable and thread-safe once trained.
/// </summary>
public sealed class GradientBoostedTrees
{
    /// <summary>The model file's <c>algorithm</c>.</summary>
    public const string AlgorithmName = "gradient-boosted-trees";

    private readonly int[] _roots;
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly float[] _value;
    private readonly float[] _cover;
    private readonly FlatTrees _trees;
    private readonly int _maxDepth;

    private GradientBoostedTrees(int columns, double baseScore, FlatTrees trees, float[] value, float[] cover)
    {
        Columns = columns;
        BaseScore = baseScore;
        _trees = trees;
        (_roots, _feature, _threshold, _left, _right) = (trees.Roots, trees.Feature, trees.Threshold, trees.Left, trees.Right);
        _value = value;
        _cover = cover;
        double bias = baseScore;
        foreach (var root in _roots)
        {
            bias += TreeShap.ExpectedValue(trees, value, cover, root);
            _maxDepth = Math.Max(_maxDepth, TreeShap.Depth(trees, root));
        }

        ExpectedRawScore = bias;
    }

    public int Columns { get; }

    /// <summary>Log-odds of the training prevalence, the starting point of boosting.</summary>
    public double BaseScore { get; }

    /// <summary>Expected raw score over the training data (base score plus each tree's cover-weighted mean leaf): the bias of the contributions.</summary>
    public double ExpectedRawScore { get; }

    public int TreeCount => _roots.Length;

    public static GradientBoostedTrees Train(TabularDataset data, GradientBoostingOptions? options = null, TabularDataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new GradientBoostingOptions();
        options.Validate();
        var positives = data.PositiveCount;
        if (positives == 0 || positives == data.Rows)
        {
            throw new ArgumentException("Training data needs both classes.", nameof(data));
        }

        var random = new Random(options.Seed);
        var train = data;
        if (validation is null && options.ValidationFraction > 0)
        {
            var (trainRows, validRows) = StratifiedSplit(data.Labels, options.ValidationFraction, random);
            train = data.Subset(trainRows);
            validation = data.Subset(validRows);
        }
        else if (validation is not null && validation.Columns != data.Columns)
        {
            throw new ArgumentException("Validation data has a different number of columns.", nameof(validation));
        }

        return new Trainer(train, validation, options).Run();
    }

    /// <summary>Stratified random split of row indices: <paramref name="fraction"/> of each class goes to the second list.</summary>
    public static (int[] First, int[] Second) StratifiedSplit(IReadOnlyList<bool> labels, double fraction, Random random)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(random);
        var first = new List<int>();
        var second = new List<int>();
        foreach (var cls in new[] { false, true })
        {
            var rows = Enumerable.Range(0, labels.Count).Where(r => labels[r] == cls).ToArray();
            random.Shuffle(rows);
            var take = (int)Math.Round(rows.Length * fraction);
            second.AddRange(rows[..take]);
            first.AddRange(rows[take..]);
        }

        first.Sort();
        second.Sort();
        return ([.. first], [.. second]);
    }

    /// <summary>Raw score (log-odds). The row must have <see cref="Columns"/> finite values.</summary>
    public double RawScore(ReadOnlySpan<float> row)
    {
        CheckRow(row);
        var score = BaseScore;
        foreach (var root in _roots)
        {
            var node = root;
            while (_feature[node] >= 0)
            {
                node = row[_feature[node]] <= _threshold[node] ? _left[node] : _right[node];
            }

            score += _value[node];
        }

        return score;
    }

    /// <summary>Probability of the positive class.</summary>
    public double PredictProbability(ReadOnlySpan<float> row) => Sigmoid(RawScore(row));

    /// <summary>
    /// Raw score split into per-feature SHAP values (path-dependent TreeSHAP, Lundberg et al. 2018): consistent
    /// attributions with <see cref="ExpectedRawScore"/> + Σ contributions = raw score. Returns the raw score.
    /// </summary>
    public double Explain(ReadOnlySpan<float> row, Span<double> contributions)
    {
        CheckRow(row);
        if (contributions.Length != Columns)
        {
            throw new ArgumentException($"Contributions span must have {Columns} entries.", nameof(contributions));
        }

        contributions.Clear();
        foreach (var root in _roots)
        {
            TreeShap.Add(_trees, _value, _cover, root, _maxDepth, row, contributions);
        }

        return RawScore(row);
    }

    public double[] PredictAll(TabularDataset data) => FlatTrees.ScoreRows(data, PredictProbability);

    /// <summary>Builds the model file; the caller names and versions it.</summary>
    public ModelFileWriter ToModelFile(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return _trees.AddTo(new ModelFileWriter(metadata with { Task = metadata.Task.Length == 0 ? "binary-classification" : metadata.Task, Algorithm = AlgorithmName })
            .Add<int>("config", [Columns])
            .Add<double>("base_score", [BaseScore])
            .Add<float>("value", _value)
            .Add<float>("cover", _cover));
    }

    /// <summary>Loads trees from a verified model file; throws <see cref="ModelFileException"/> when they are inconsistent.</summary>
    public static GradientBoostedTrees FromModelFile(ModelFile file)
    {
        TabularModelFile.RequireAlgorithm(file, AlgorithmName);
        var columns = file.Read<int>("config", 1)[0];
        var baseScore = file.Read<double>("base_score", 1)[0];
        var trees = FlatTrees.Read(file, columns);
        var value = file.Read<float>("value", trees.Feature.Length);
        var cover = file.Read<float>("cover", trees.Feature.Length);
        TabularModelFile.Require(file, double.IsFinite(baseScore) && value.All(float.IsFinite) && cover.All(c => c > 0 && float.IsFinite(c)), "non-finite values or empty nodes");
        return new GradientBoostedTrees(columns, baseScore, trees, value, cover);
    }

    internal FlatTrees Trees => _trees;

    internal float[] Values => _value;

    internal float[] Cover => _cover;

    internal static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private void CheckRow(ReadOnlySpan<float> row) => FlatTrees.CheckRow(row, Columns);

    private sealed class Trainer
    {
        private readonly TabularDataset _train;
        private readonly TabularDataset? _validation;
        private readonly GradientBoostingOptions _options;
        private readonly int _rows;
        private readonly int _columns;
        private readonly float[][] _cuts;
        private readonly byte[] _bins; // column-major: bins[c * rows + r]
        private readonly double[] _gradient;
        private readonly double[] _hessian;
        private readonly int[] _rowIndex;
        private readonly List<int> _feature = [];
        private readonly List<float> _threshold = [];
        private readonly List<int> _left = [];
        private readonly List<int> _right = [];
        private readonly List<float> _value = [];
        private readonly List<float> _cover = [];

        public Trainer(TabularDataset train, TabularDataset? validation, GradientBoostingOptions options)
        {
            _train = train;
            _validation = validation;
            _options = options;
            _rows = train.Rows;
            _columns = train.Columns;
            _cuts = new float[_columns][];
            _bins = new byte[_rows * _columns];
            for (var c = 0; c < _columns; c++)
            {
                _cuts[c] = Cuts(train, c, options.MaxBins);
                for (var r = 0; r < _rows; r++)
                {
                    _bins[(c * _rows) + r] = (byte)Bin(_cuts[c], train.Features[(r * _columns) + c]);
                }
            }

            _gradient = new double[_rows];
            _hessian = new double[_rows];
            _rowIndex = new int[_rows];
        }

        private int BinsOf(int column) => _cuts[column].Length + 1;

        public GradientBoostedTrees Run()
        {
            var prevalence = (double)_train.PositiveCount / _rows;
            var baseScore = Math.Log(prevalence / (1 - prevalence));
            var score = Enumerable.Repeat(baseScore, _rows).ToArray();
            var validScore = _validation is null ? [] : Enumerable.Repeat(baseScore, _validation.Rows).ToArray();
            var roots = new List<int>();
            var bestLoss = double.PositiveInfinity;
            var bestRounds = 0;
            for (var round = 0; round < _options.MaxRounds; round++)
            {
                for (var r = 0; r < _rows; r++)
                {
                    var p = Sigmoid(score[r]);
                    _gradient[r] = p - (_train.Labels[r] ? 1 : 0);
                    _hessian[r] = Math.Max(p * (1 - p), 1e-12);
                }

                var root = GrowTree(score);
                roots.Add(root);
                if (_validation is null)
                {
                    bestRounds = roots.Count;
                    continue;
                }

                double loss = 0;
                for (var r = 0; r < _validation.Rows; r++)
                {
                    validScore[r] += Leaf(root, _validation.Row(r));
                    var p = Math.Clamp(Sigmoid(validScore[r]), 1e-15, 1 - 1e-15);
                    loss -= _validation.Labels[r] ? Math.Log(p) : Math.Log(1 - p);
                }

                if (loss < bestLoss - 1e-12)
                {
                    bestLoss = loss;
                    bestRounds = roots.Count;
                }
                else if (roots.Count - bestRounds >= _options.EarlyStoppingRounds)
                {
                    break;
                }
            }

            // Trees are appended in order, so dropping the rounds after the best one truncates the node arrays.
            var keep = Math.Max(bestRounds, 1);
            var nodes = keep < roots.Count ? roots[keep] : _feature.Count;
            var trees = new FlatTrees([.. roots.Take(keep)], [.. _feature.Take(nodes)], [.. _threshold.Take(nodes)], [.. _left.Take(nodes)], [.. _right.Take(nodes)]);
            return new GradientBoostedTrees(_columns, baseScore, trees, [.. _value.Take(nodes)], [.. _cover.Take(nodes)]);
        }

        private float Leaf(int root, ReadOnlySpan<float> row)
        {
            var node = root;
            while (_feature[node] >= 0)
            {
                node = row[_feature[node]] <= _threshold[node] ? _left[node] : _right[node];
            }

            return _value[node];
        }

        private int GrowTree(double[] score)
        {
            for (var r = 0; r < _rows; r++)
            {
                _rowIndex[r] = r;
            }

            var rootCandidate = NewCandidate(0, _rows, 0, BuildHistogram(0, _rows));
            var open = new List<Candidate> { rootCandidate };
            var leaves = 1;
            while (leaves < _options.MaxLeaves)
            {
                Candidate? best = null;
                foreach (var candidate in open)
                {
                    if (candidate.Gain > 1e-9 && candidate.Depth < _options.MaxDepth && (best is null || candidate.Gain > best.Gain))
                    {
                        best = candidate;
                    }
                }

                if (best is null)
                {
                    break;
                }

                open.Remove(best);
                var split = Partition(best);
                var leftCount = split - best.Start;
                var rightCount = best.End - split;
                double[] leftHist, rightHist;
                if (leftCount <= rightCount)
                {
                    leftHist = BuildHistogram(best.Start, split);
                    rightHist = Subtract(best.Histogram, leftHist);
                }
                else
                {
                    rightHist = BuildHistogram(split, best.End);
                    leftHist = Subtract(best.Histogram, rightHist);
                }

                var left = NewCandidate(best.Start, split, best.Depth + 1, leftHist);
                var right = NewCandidate(split, best.End, best.Depth + 1, rightHist);
                _feature[best.Node] = best.SplitFeature;
                _threshold[best.Node] = _cuts[best.SplitFeature][best.SplitBin];
                _left[best.Node] = left.Node;
                _right[best.Node] = right.Node;
                best.Histogram = [];
                open.Add(left);
                open.Add(right);
                leaves++;
            }

            foreach (var leaf in open)
            {
                var value = _value[leaf.Node];
                for (var n = leaf.Start; n < leaf.End; n++)
                {
                    score[_rowIndex[n]] += value;
                }
            }

            return rootCandidate.Node;
        }

        private Candidate NewCandidate(int start, int end, int depth, double[] histogram)
        {
            double g = 0, h = 0;
            for (var n = start; n < end; n++)
            {
                g += _gradient[_rowIndex[n]];
                h += _hessian[_rowIndex[n]];
            }

            var node = _feature.Count;
            _feature.Add(-1);
            _threshold.Add(0);
            _left.Add(-1);
            _right.Add(-1);
            _value.Add((float)(-g / (h + _options.L2) * _options.LearningRate));
            _cover.Add(end - start);
            var candidate = new Candidate(node, start, end, depth, g, h, histogram);
            FindSplit(candidate);
            return candidate;
        }

        private void FindSplit(Candidate candidate)
        {
            var count = candidate.End - candidate.Start;
            if (count < 2 * _options.MinSamplesLeaf)
            {
                return;
            }

            var lambda = _options.L2;
            var parent = candidate.G * candidate.G / (candidate.H + lambda);
            var offset = 0;
            for (var c = 0; c < _columns; c++)
            {
                var bins = BinsOf(c);
                double gl = 0, hl = 0, nl = 0;
                for (var b = 0; b < bins - 1; b++)
                {
                    var cell = (offset + b) * 3;
                    gl += candidate.Histogram[cell];
                    hl += candidate.Histogram[cell + 1];
                    nl += candidate.Histogram[cell + 2];
                    var nr = count - nl;
                    if (nl < _options.MinSamplesLeaf)
                    {
                        continue;
                    }

                    if (nr < _options.MinSamplesLeaf)
                    {
                        break;
                    }

                    var hr = candidate.H - hl;
                    if (hl < _options.MinHessian || hr < _options.MinHessian)
                    {
                        continue;
                    }

                    var gr = candidate.G - gl;
                    var gain = (gl * gl / (hl + lambda)) + (gr * gr / (hr + lambda)) - parent;
                    if (gain > candidate.Gain)
                    {
                        candidate.Gain = gain;
                        candidate.SplitFeature = c;
                        candidate.SplitBin = b;
                    }
                }

                offset += bins;
            }
        }

        private double[] BuildHistogram(int start, int end)
        {
            var histogram = new double[_cuts.Sum(c => c.Length + 1) * 3];
            var offset = 0;
            for (var c = 0; c < _columns; c++)
            {
                var column = c * _rows;
                for (var n = start; n < end; n++)
                {
                    var r = _rowIndex[n];
                    var cell = (offset + _bins[column + r]) * 3;
                    histogram[cell] += _gradient[r];
                    histogram[cell + 1] += _hessian[r];
                    histogram[cell + 2] += 1;
                }

                offset += BinsOf(c);
            }

            return histogram;
        }

        private static double[] Subtract(double[] parent, double[] child)
        {
            var result = new double[parent.Length];
            for (var n = 0; n < result.Length; n++)
            {
                result[n] = parent[n] - child[n];
            }

            return result;
        }

        private int Partition(Candidate candidate)
        {
            var column = candidate.SplitFeature * _rows;
            var split = candidate.Start;
            for (var n = candidate.Start; n < candidate.End; n++)
            {
                if (_bins[column + _rowIndex[n]] <= candidate.SplitBin)
                {
                    (_rowIndex[split], _rowIndex[n]) = (_rowIndex[n], _rowIndex[split]);
                    split++;
                }
            }

            return split;
        }

        /// <summary>Upper edges of the bins: x ≤ cuts[b] falls in bin b or lower. Midpoints between distinct values, or quantiles when there are too many.</summary>
        private static float[] Cuts(TabularDataset data, int column, int maxBins)
        {
            var values = new float[data.Rows];
            for (var r = 0; r < data.Rows; r++)
            {
                values[r] = data.Features[(r * data.Columns) + column];
            }

            Array.Sort(values);
            var distinct = new List<float>();
            foreach (var v in values)
            {
                if (distinct.Count == 0 || v != distinct[^1])
                {
                    distinct.Add(v);
                }
            }

            var cuts = new List<float>();
            if (distinct.Count <= maxBins)
            {
                for (var n = 0; n + 1 < distinct.Count; n++)
                {
                    cuts.Add(distinct[n] + ((distinct[n + 1] - distinct[n]) / 2));
                }
            }
            else
            {
                for (var b = 1; b < maxBins; b++)
                {
                    var cut = values[(int)((long)b * values.Length / maxBins)];
                    if (cuts.Count == 0 || cut > cuts[^1])
                    {
                        cuts.Add(cut);
                    }
                }

                if (cuts.Count > 0 && cuts[^1] >= values[^1])
                {
                    cuts.RemoveAt(cuts.Count - 1);
                }
            }

            return [.. cuts];
        }

        private static int Bin(float[] cuts, float value)
        {
            int lo = 0, hi = cuts.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (value <= cuts[mid])
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }

            return lo;
        }
    }

    private sealed class Candidate(int node, int start, int end, int depth, double g, double h, double[] histogram)
    {
        public int Node { get; } = node;

        public int Start { get; } = start;

        public int End { get; } = end;

        public int Depth { get; } = depth;

        public double G { get; } = g;

        public double H { get; } = h;

        public double[] Histogram { get; set; } = histogram;

        public double Gain { get; set; }

        public int SplitFeature { get; set; } = -1;

        public int SplitBin { get; set; } = -1;
    }
}
