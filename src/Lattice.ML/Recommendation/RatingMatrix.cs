namespace Lattice.ML.Recommendation;

/// <summary>
/// Ratings with dense user/item indices, stored three ways (triplets, by user, by item) because the
/// trainers need all three access paths and copying 100k ratings is cheaper than searching.
/// </summary>
internal sealed class RatingMatrix
{
    private RatingMatrix(string[] userIds, string[] itemIds, int[] users, int[] items, float[] values)
    {
        UserIds = userIds;
        ItemIds = itemIds;
        Users = users;
        Items = items;
        Values = values;
        (UserOffsets, UserItems, UserValues) = Group(users, items, values, userIds.Length);
        (ItemOffsets, ItemUsers, ItemValues) = Group(items, users, values, itemIds.Length);
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        GlobalMean = values.Length == 0 ? 0 : sum / values.Length;
        MinRating = values.Length == 0 ? 0 : values.Min();
        MaxRating = values.Length == 0 ? 0 : values.Max();
    }

    public string[] UserIds { get; }

    public string[] ItemIds { get; }

    public int UserCount => UserIds.Length;

    public int ItemCount => ItemIds.Length;

    public int Count => Values.Length;

    public int[] Users { get; }

    public int[] Items { get; }

    public float[] Values { get; }

    /// <summary>CSR by user: items of user u are <c>UserItems[UserOffsets[u]..UserOffsets[u+1]]</c>, sorted by item.</summary>
    public int[] UserOffsets { get; }

    public int[] UserItems { get; }

    public float[] UserValues { get; }

    /// <summary>CSR by item: users of item i, sorted by user.</summary>
    public int[] ItemOffsets { get; }

    public int[] ItemUsers { get; }

    public float[] ItemValues { get; }

    public double GlobalMean { get; }

    public float MinRating { get; }

    public float MaxRating { get; }

    public int UserRatingCount(int user) => UserOffsets[user + 1] - UserOffsets[user];

    public int ItemRatingCount(int item) => ItemOffsets[item + 1] - ItemOffsets[item];

    /// <summary>Indexes ratings; a later duplicate (user, item) pair replaces an earlier one.</summary>
    public static RatingMatrix Create(IEnumerable<Rating> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var userIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var pairs = new Dictionary<(int User, int Item), float>();
        foreach (var rating in ratings)
        {
            if (string.IsNullOrEmpty(rating.User) || string.IsNullOrEmpty(rating.Item))
            {
                throw new ArgumentException("A rating has an empty user or item id.", nameof(ratings));
            }

            if (!float.IsFinite(rating.Value))
            {
                throw new ArgumentException($"Rating of item '{rating.Item}' by user '{rating.User}' is not a finite number.", nameof(ratings));
            }

            var u = IndexOf(userIndex, rating.User);
            var i = IndexOf(itemIndex, rating.Item);
            pairs[(u, i)] = rating.Value;
        }

        if (pairs.Count == 0)
        {
            throw new ArgumentException("No ratings to train on.", nameof(ratings));
        }

        var users = new int[pairs.Count];
        var items = new int[pairs.Count];
        var values = new float[pairs.Count];
        var n = 0;
        foreach (var ((u, i), v) in pairs)
        {
            users[n] = u;
            items[n] = i;
            values[n] = v;
            n++;
        }

        return new RatingMatrix(Keys(userIndex), Keys(itemIndex), users, items, values);
    }

    private static int IndexOf(Dictionary<string, int> index, string id)
    {
        if (!index.TryGetValue(id, out var value))
        {
            value = index.Count;
            index.Add(id, value);
        }

        return value;
    }

    private static string[] Keys(Dictionary<string, int> index)
    {
        var keys = new string[index.Count];
        foreach (var (key, value) in index)
        {
            keys[value] = key;
        }

        return keys;
    }

    private static (int[] Offsets, int[] Others, float[] Values) Group(int[] keys, int[] others, float[] values, int keyCount)
    {
        var offsets = new int[keyCount + 1];
        foreach (var k in keys)
        {
            offsets[k + 1]++;
        }

        for (var k = 0; k < keyCount; k++)
        {
            offsets[k + 1] += offsets[k];
        }

        var cursor = offsets[..^1];
        var groupedOthers = new int[keys.Length];
        var groupedValues = new float[keys.Length];
        for (var n = 0; n < keys.Length; n++)
        {
            var slot = cursor[keys[n]]++;
            groupedOthers[slot] = others[n];
            groupedValues[slot] = values[n];
        }

        for (var k = 0; k < keyCount; k++)
        {
            var start = offsets[k];
            var length = offsets[k + 1] - start;
            Array.Sort(groupedOthers, groupedValues, start, length);
        }

        return (offsets, groupedOthers, groupedValues);
    }
}
