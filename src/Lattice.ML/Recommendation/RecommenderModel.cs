using System.Buffers;
using System.Numerics.Tensors;
using Lattice.ML.ModelFiles;
using Lattice.ML.Tabular;

namespace Lattice.ML.Recommendation;

/// <summary>Where a recommendation or prediction came from.</summary>
public enum RecommendationSource
{
    /// <summary>The trained model knew the user (and item).</summary>
    Model,

    /// <summary>The user or item was unknown, so the answer falls back to popularity or biases.</summary>
    Fallback,
}

/// <summary>A predicted rating and whether the model knew the user and the item.</summary>
public readonly record struct RatingPrediction(float Rating, bool KnownUser, bool KnownItem)
{
    public RecommendationSource Source => KnownUser && KnownItem ? RecommendationSource.Model : RecommendationSource.Fallback;
}

/// <summary>Top-N items and where they came from.</summary>
public sealed record RecommendationResult(IReadOnlyList<ScoredItem> Items, RecommendationSource Source);

/// <summary>
/// A trained, immutable recommender: rating prediction, top-N for a user (seen items excluded), similar items and a
/// popularity fallback for unknown users and items. Thread-safe; calls allocate only their results.
/// </summary>
public sealed class RecommenderModel
{
    /// <summary>The largest k a single call may ask for.</summary>
    public const int MaxResults = 1000;

    /// <summary>The model file's <c>task</c>.</summary>
    public const string TaskName = "recommendation";

    /// <summary>The model file's <c>algorithm</c> (the variant is in the <c>config</c> section).</summary>
    public const string AlgorithmName = "lattice-recommender";

    private readonly Dictionary<string, int> _userIndex;
    private readonly Dictionary<string, int> _itemIndex;
    private readonly string[] _userIds;
    private readonly string[] _itemIds;
    private readonly int[] _seenOffsets;
    private readonly int[] _seenItems;
    private readonly float[] _seenResiduals;
    private readonly float[] _baselineUser;
    private readonly float[] _baselineItem;
    private readonly FactorParameters? _factors;
    private readonly ItemKnn? _knn;
    private readonly float[] _blend;
    private readonly int[] _popularity;
    private readonly float[] _popularityScore;
    private readonly float[] _normalizedItemFactors;

    internal RecommenderModel(
        RecommenderAlgorithm algorithm, string[] userIds, string[] itemIds, float globalMean, float minRating, float maxRating,
        int[] seenOffsets, int[] seenItems, float[] seenValues, float[] baselineUser, float[] baselineItem,
        FactorParameters? factors, ItemKnn? knn, float[] blend, int[] itemCounts)
    {
        Algorithm = algorithm;
        _userIds = userIds;
        _itemIds = itemIds;
        GlobalMean = globalMean;
        MinRating = minRating;
        MaxRating = maxRating;
        _seenOffsets = seenOffsets;
        _seenItems = seenItems;
        _baselineUser = baselineUser;
        _baselineItem = baselineItem;
        _factors = factors;
        _knn = knn;
        _blend = blend;
        _userIndex = Index(userIds);
        _itemIndex = Index(itemIds);
        ItemCounts = itemCounts;

        // Residuals against the k-NN baseline are what the neighbourhood averages, so compute them once.
        _seenResiduals = new float[seenItems.Length];
        for (var u = 0; u < userIds.Length; u++)
        {
            for (var n = seenOffsets[u]; n < seenOffsets[u + 1]; n++)
            {
                _seenResiduals[n] = seenValues[n] - (globalMean + baselineUser[u] + baselineItem[seenItems[n]]);
            }
        }

        SeenValues = seenValues;
        _popularity = Enumerable.Range(0, itemIds.Length)
            .OrderByDescending(i => itemCounts[i]).ThenByDescending(i => baselineItem[i]).ThenBy(i => i).ToArray();
        var maxCount = Math.Max(1, itemCounts.Length == 0 ? 1 : itemCounts.Max());
        _popularityScore = itemCounts.Select(c => (float)c / maxCount).ToArray();
        _normalizedItemFactors = factors is null ? [] : NormalizeRows(factors.ItemFactors, factors.Factors);
    }

    public RecommenderAlgorithm Algorithm { get; }

    public float GlobalMean { get; }

    public float MinRating { get; }

    public float MaxRating { get; }

    public int UserCount => _userIds.Length;

    public int ItemCount => _itemIds.Length;

    public IReadOnlyList<string> Users => _userIds;

    public IReadOnlyList<string> Items => _itemIds;

    internal int[] ItemCounts { get; }

    internal float[] SeenValues { get; }

    /// <summary>Predicts the rating <paramref name="user"/> would give <paramref name="item"/>, clipped to the rating scale.</summary>
    public RatingPrediction PredictRating(string user, string item)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(item);
        var knownUser = _userIndex.TryGetValue(user, out var u);
        var knownItem = _itemIndex.TryGetValue(item, out var i);
        float value;
        if (knownUser && knownItem)
        {
            value = Predict(u, i);
        }
        else
        {
            value = GlobalMean + (knownUser ? _baselineUser[u] : 0) + (knownItem ? _baselineItem[i] : 0);
        }

        return new RatingPrediction(Clip(value), knownUser, knownItem);
    }

    /// <summary>The <paramref name="k"/> best items for <paramref name="user"/> that the user has not rated; popular items for an unknown user.</summary>
    public RecommendationResult Recommend(string user, int k)
    {
        ArgumentNullException.ThrowIfNull(user);
        var buffer = new ScoredItem[CheckK(k)];
        var count = Recommend(user, buffer, out var source);
        return new RecommendationResult(buffer[..count], source);
    }

    /// <summary>Allocation-free form of <see cref="Recommend(string, int)"/>: fills <paramref name="destination"/> best first and returns the count.</summary>
    public int Recommend(string user, Span<ScoredItem> destination, out RecommendationSource source)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!_userIndex.TryGetValue(user, out var u))
        {
            source = RecommendationSource.Fallback;
            return Popular(destination, exclude: -1);
        }

        source = RecommendationSource.Model;
        var k = Math.Min(destination.Length, ItemCount);
        var heap = new TopK(k);
        var scores = ArrayPool<float>.Shared.Rent(ItemCount);
        try
        {
            ScoreAll(u, scores.AsSpan(0, ItemCount));
            var seen = _seenItems.AsSpan(_seenOffsets[u], _seenOffsets[u + 1] - _seenOffsets[u]);
            var next = 0;
            for (var i = 0; i < ItemCount; i++)
            {
                // Seen items are sorted, so one moving cursor excludes them.
                if (next < seen.Length && seen[next] == i)
                {
                    next++;
                    continue;
                }

                heap.Offer(i, scores[i]);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }

        return heap.Drain(destination, _itemIds);
    }

    /// <summary>The <paramref name="k"/> items most similar to <paramref name="item"/>; popular items when the item is unknown.</summary>
    public RecommendationResult SimilarItems(string item, int k)
    {
        ArgumentNullException.ThrowIfNull(item);
        var buffer = new ScoredItem[CheckK(k)];
        var count = SimilarItems(item, buffer, out var source);
        return new RecommendationResult(buffer[..count], source);
    }

    /// <summary>Allocation-free form of <see cref="SimilarItems(string, int)"/>.</summary>
    public int SimilarItems(string item, Span<ScoredItem> destination, out RecommendationSource source)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!_itemIndex.TryGetValue(item, out var i))
        {
            source = RecommendationSource.Fallback;
            return Popular(destination, exclude: -1);
        }

        source = RecommendationSource.Model;
        var heap = new TopK(Math.Min(destination.Length, ItemCount - 1));
        if (_knn is not null)
        {
            var row = _knn.SimilarityRow(i);
            for (var j = 0; j < ItemCount; j++)
            {
                if (j != i)
                {
                    heap.Offer(j, row[j]);
                }
            }
        }
        else if (_factors is not null)
        {
            var f = _factors.Factors;
            var qi = _normalizedItemFactors.AsSpan(i * f, f);
            for (var j = 0; j < ItemCount; j++)
            {
                if (j != i)
                {
                    heap.Offer(j, TensorPrimitives.Dot(qi, _normalizedItemFactors.AsSpan(j * f, f)));
                }
            }
        }
        else
        {
            source = RecommendationSource.Fallback;
            return Popular(destination, exclude: i);
        }

        return heap.Drain(destination, _itemIds);
    }

    /// <summary>Builds the model file (sections described in models/recommender/README.md); the caller names and versions it.</summary>
    public ModelFileWriter ToModelFile(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var f = _factors?.Factors ?? 0;
        var writer = new ModelFileWriter(metadata with { Task = TaskName, Algorithm = AlgorithmName })
            .AddStrings("users", _userIds)
            .AddStrings("items", _itemIds)
            .Add<int>("config", [(int)Algorithm, f, _knn?.Neighbors ?? 0])
            .Add<float>("scalars", [GlobalMean, MinRating, MaxRating, _factors?.GlobalMean ?? 0])
            .Add<int>("seen.offsets", _seenOffsets)
            .Add<int>("seen.items", _seenItems)
            .Add<float>("seen.values", SeenValues)
            .Add<float>("baseline.user", _baselineUser)
            .Add<float>("baseline.item", _baselineItem)
            .Add<int>("item.counts", ItemCounts)
            .Add<float>("blend", _blend);
        if (_factors is not null)
        {
            writer.Add<float>("mf.user_bias", _factors.UserBias)
                .Add<float>("mf.item_bias", _factors.ItemBias)
                .Add<float>("mf.user_factors", _factors.UserFactors, UserCount, f)
                .Add<float>("mf.item_factors", _factors.ItemFactors, ItemCount, f);
        }

        if (_knn is not null)
        {
            writer.Add<float>("knn.similarity", _knn.Similarity, ItemCount, ItemCount);
        }

        return writer;
    }

    /// <summary>Loads a model from a verified model file; throws <see cref="ModelFileException"/> when it is not a consistent recommender.</summary>
    public static RecommenderModel FromModelFile(ModelFile file)
    {
        TabularModelFile.RequireAlgorithm(file, AlgorithmName);
        var users = file.ReadStrings("users");
        var items = file.ReadStrings("items");
        var config = file.Read<int>("config", 3);
        var scalars = file.Read<float>("scalars", 4);
        var algorithm = (RecommenderAlgorithm)config[0];
        var f = config[1];
        TabularModelFile.Require(file, Enum.IsDefined(algorithm) && f >= 0 && config[2] >= 0, "bad configuration");
        var seenOffsets = file.Read<int>("seen.offsets", users.Length + 1);
        var seenItems = file.Read<int>("seen.items");
        var seenValues = file.Read<float>("seen.values", seenItems.Length);
        TabularModelFile.Require(
            file, seenOffsets[0] == 0 && seenOffsets[^1] == seenItems.Length && seenItems.All(i => (uint)i < (uint)items.Length)
            && seenOffsets.Zip(seenOffsets.Skip(1)).All(p => p.First <= p.Second),
            "seen-items table out of range");
        FactorParameters? factors = null;
        if (f > 0)
        {
            factors = new FactorParameters(
                f, scalars[3], file.Read<float>("mf.user_bias", users.Length), file.Read<float>("mf.item_bias", items.Length),
                file.Read<float>("mf.user_factors", (long)users.Length * f), file.Read<float>("mf.item_factors", (long)items.Length * f));
        }

        var knn = config[2] > 0 ? new ItemKnn(items.Length, config[2], file.Read<float>("knn.similarity", (long)items.Length * items.Length)) : null;
        TabularModelFile.Require(
            file, algorithm switch
            {
                RecommenderAlgorithm.Baseline => true,
                RecommenderAlgorithm.ItemKnnBaseline => knn is not null,
                RecommenderAlgorithm.Blend => knn is not null && factors is not null,
                _ => factors is not null,
            },
            $"the {algorithm} model lacks its components");
        return new RecommenderModel(
            algorithm, users, items, scalars[0], scalars[1], scalars[2], seenOffsets, seenItems, seenValues,
            file.Read<float>("baseline.user", users.Length), file.Read<float>("baseline.item", items.Length), factors, knn,
            file.Read<float>("blend", 3), file.Read<int>("item.counts", items.Length));
    }

    internal float Predict(int u, int i) => Algorithm switch
    {
        RecommenderAlgorithm.Baseline => Clip(Baseline(u, i)),
        RecommenderAlgorithm.ItemKnnBaseline => Clip(KnnPredict(u, i)),
        RecommenderAlgorithm.Blend => Clip(_blend[0] + (_blend[1] * _factors!.Predict(u, i)) + (_blend[2] * KnnPredict(u, i))),
        _ => Clip(_factors!.Predict(u, i)),
    };

    internal bool TryIndex(string user, string item, out int u, out int i)
    {
        i = -1;
        return _userIndex.TryGetValue(user, out u) & _itemIndex.TryGetValue(item, out i);
    }

    /// <summary>The k-NN component alone (used to fit blend weights).</summary>
    internal float KnnOnly(int u, int i) => _knn is null ? Baseline(u, i) : KnnPredict(u, i);

    private void ScoreAll(int u, Span<float> scores)
    {
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Predict(u, i);
        }
    }

    private float Baseline(int u, int i) => GlobalMean + _baselineUser[u] + _baselineItem[i];

    private float KnnPredict(int u, int i)
    {
        var start = _seenOffsets[u];
        var length = _seenOffsets[u + 1] - start;
        return Baseline(u, i) + _knn!.Correction(i, _seenItems.AsSpan(start, length), _seenResiduals.AsSpan(start, length));
    }

    private int Popular(Span<ScoredItem> destination, int exclude)
    {
        var count = 0;
        foreach (var i in _popularity)
        {
            if (count == destination.Length)
            {
                break;
            }

            if (i != exclude)
            {
                destination[count++] = new ScoredItem(_itemIds[i], _popularityScore[i]);
            }
        }

        return count;
    }

    private float Clip(float value) => Math.Clamp(value, MinRating, MaxRating);

    private static int CheckK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxResults);
        return k;
    }

    private static Dictionary<string, int> Index(string[] ids)
    {
        var index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var n = 0; n < ids.Length; n++)
        {
            index[ids[n]] = n;
        }

        return index;
    }

    private static float[] NormalizeRows(float[] values, int width)
    {
        var result = (float[])values.Clone();
        for (var start = 0; start < result.Length; start += width)
        {
            var row = result.AsSpan(start, width);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                TensorPrimitives.Divide(row, norm, row);
            }
        }

        return result;
    }

    /// <summary>A bounded min-heap of (index, score) that keeps the k best.</summary>
    private struct TopK(int capacity)
    {
        private readonly int[] _index = new int[Math.Max(capacity, 0)];
        private readonly float[] _score = new float[Math.Max(capacity, 0)];
        private int _count;

        public void Offer(int index, float score)
        {
            if (_index.Length == 0)
            {
                return;
            }

            if (_count < _index.Length)
            {
                var slot = _count++;
                _index[slot] = index;
                _score[slot] = score;
                SiftUp(slot);
            }
            else if (score > _score[0])
            {
                _index[0] = index;
                _score[0] = score;
                SiftDown(0);
            }
        }

        public int Drain(Span<ScoredItem> destination, string[] ids)
        {
            var total = _count;
            while (_count > 0)
            {
                // Popping the minimum fills the destination from the back: best first.
                var slot = --_count;
                destination[slot] = new ScoredItem(ids[_index[0]], _score[0]);
                _index[0] = _index[slot];
                _score[0] = _score[slot];
                SiftDown(0);
            }

            return total;
        }

        private readonly void SiftUp(int slot)
        {
            while (slot > 0)
            {
                var parent = (slot - 1) / 2;
                if (_score[parent] <= _score[slot])
                {
                    return;
                }

                Swap(parent, slot);
                slot = parent;
            }
        }

        private readonly void SiftDown(int slot)
        {
            while (true)
            {
                var left = (2 * slot) + 1;
                if (left >= _count)
                {
                    return;
                }

                var smallest = left + 1 < _count && _score[left + 1] < _score[left] ? left + 1 : left;
                if (_score[slot] <= _score[smallest])
                {
                    return;
                }

                Swap(slot, smallest);
                slot = smallest;
            }
        }

        private readonly void Swap(int a, int b)
        {
            (_index[a], _index[b]) = (_index[b], _index[a]);
            (_score[a], _score[b]) = (_score[b], _score[a]);
        }
    }
}
