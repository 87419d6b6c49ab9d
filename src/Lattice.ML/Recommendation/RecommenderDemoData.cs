using Lattice.ML.Tabular;

namespace Lattice.ML.Recommendation;

/// <summary>
/// Deterministic generator of the synthetic ratings the shipped demo recommender is trained on (MovieLens may not
/// be redistributed). Items have 1–3 of <see cref="Genres"/>, a quality and a Zipf-like popularity; users have a
/// taste per genre, a rating bias and an activity level, and choose items by popularity and taste (as real users
/// rate what they expect to like). Rating = round(3.5 + user bias + quality + taste·genres + noise), clipped to 1–5.
/// </summary>
public static class RecommenderDemoData
{
    public static IReadOnlyList<string> Genres { get; } = ["action", "comedy", "drama", "sci-fi", "romance", "thriller", "documentary", "animation"];

    /// <summary>Item ids are <c>item-0001</c>…, user ids <c>user-0001</c>….</summary>
    public static IReadOnlyList<Rating> Generate(int users, int items, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 2);
        var random = new Random(seed);
        var g = Genres.Count;
        var itemGenres = new double[items * g];
        var quality = new double[items];
        var popularity = new double[items];
        for (var i = 0; i < items; i++)
        {
            var genreCount = 1 + random.Next(3);
            for (var k = 0; k < genreCount; k++)
            {
                itemGenres[(i * g) + random.Next(g)] = 1;
            }

            var norm = Math.Sqrt(Enumerable.Range(0, g).Sum(k => itemGenres[(i * g) + k]));
            for (var k = 0; k < g; k++)
            {
                itemGenres[(i * g) + k] /= norm;
            }

            quality[i] = 0.5 * random.NextGaussian();
            popularity[i] = Math.Exp(0.8 * quality[i]) / Math.Pow(i + 1, 0.8);
        }

        var ratings = new List<Rating>();
        var taste = new double[g];
        var weights = new double[items];
        var chosen = new HashSet<int>();
        for (var u = 0; u < users; u++)
        {
            for (var k = 0; k < g; k++)
            {
                taste[k] = 0.8 * random.NextGaussian();
            }

            var bias = 0.35 * random.NextGaussian();
            var activity = Math.Min(items / 2, 15 + (int)(Math.Exp(3.0 + (0.7 * random.NextGaussian()))));
            double total = 0;
            for (var i = 0; i < items; i++)
            {
                weights[i] = popularity[i] * Math.Exp(Affinity(taste, itemGenres, i, g));
                total += weights[i];
            }

            chosen.Clear();
            while (chosen.Count < activity)
            {
                var x = random.NextDouble() * total;
                var pick = 0;
                while (pick < items - 1 && (x -= weights[pick]) > 0)
                {
                    pick++;
                }

                if (!chosen.Add(pick))
                {
                    continue;
                }

                var value = 3.5 + bias + quality[pick] + Affinity(taste, itemGenres, pick, g) + (0.6 * random.NextGaussian());
                ratings.Add(new Rating($"user-{u + 1:D4}", $"item-{pick + 1:D4}", (float)Math.Clamp(Math.Round(value), 1, 5)));
            }
        }

        return ratings;
    }

    private static double Affinity(double[] taste, double[] itemGenres, int item, int g)
    {
        double sum = 0;
        for (var k = 0; k < g; k++)
        {
            sum += taste[k] * itemGenres[(item * g) + k];
        }

        return sum;
    }

}
