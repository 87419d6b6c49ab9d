using Lattice.ML.Tabular;

namespace Lattice.ML.Anomaly;

/// <summary>
/// Deterministic generator of the synthetic card transactions the shipped demo fraud model is trained on.
/// Legitimate spending follows per-category amount distributions, daytime hours, mostly domestic card-present use;
/// about <see cref="FraudRate"/> of transactions are fraud drawn from four patterns: card testing (tiny online
/// amounts at high velocity), stolen-card sprees (large multiples of the usual amount, risky categories, night,
/// far away or abroad), new-card fraud (cards days old, large online purchases) and low-signal fraud that looks
/// almost normal, so the task is not trivially separable. Nothing here comes from real customers.
/// </summary>
public static class FraudDemoData
{
    public const double FraudRate = 0.02;

    private static readonly (string Country, string Currency, double Weight)[] Homes =
    [
        ("US", "USD", 0.40), ("GB", "GBP", 0.12), ("DE", "EUR", 0.10), ("FR", "EUR", 0.08), ("JP", "JPY", 0.07),
        ("CA", "CAD", 0.06), ("AU", "AUD", 0.05), ("SE", "SEK", 0.04), ("BR", "BRL", 0.04), ("IN", "INR", 0.04),
    ];

    private static readonly string[] Abroad = ["US", "GB", "DE", "FR", "ES", "IT", "MX", "TH", "AE", "SG", "NG", "RU", "XA", "XB"];

    // Category, weight among legitimate transactions, median amount in USD.
    private static readonly (string Category, double Weight, double MedianUsd)[] Categories =
    [
        ("grocery", 0.22, 45), ("restaurant", 0.16, 35), ("fuel", 0.10, 50), ("travel", 0.05, 400), ("electronics", 0.06, 250),
        ("jewelry", 0.01, 600), ("digital_goods", 0.07, 15), ("gambling", 0.02, 80), ("money_transfer", 0.01, 300),
        ("fashion", 0.10, 70), ("pharmacy", 0.06, 25), ("entertainment", 0.08, 40), ("other", 0.06, 60),
    ];

    /// <summary>Generates <paramref name="count"/> labelled transactions from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<LabeledTransaction> Generate(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var result = new List<LabeledTransaction>(count);
        for (var n = 0; n < count; n++)
        {
            var fraud = random.NextDouble() < FraudRate;
            result.Add(new LabeledTransaction(fraud ? Fraud(random) : Legitimate(random), fraud));
        }

        return result;
    }

    private static FraudTransaction Legitimate(Random random)
    {
        var (home, currency, _) = Pick(random, Homes, h => h.Weight);
        var (category, _, median) = Pick(random, Categories, c => c.Weight);
        var typical = LogNormal(random, 60, 0.6);
        var amount = LogNormal(random, median, 0.7) * Math.Sqrt(typical / 60);
        var foreignChance = category == "travel" ? 0.30 : 0.04;
        var foreign = random.NextDouble() < foreignChance;
        var country = foreign ? OtherCountry(random, home) : home;
        var distance = foreign ? 500 + (random.NextDouble() * 9_500) : Math.Min(LogNormal(random, 8, 1.0), 3_000);
        var presentChance = category switch { "digital_goods" => 0.05, "travel" => 0.4, "money_transfer" => 0.2, "electronics" => 0.5, _ => 0.8 };
        var hour = ((int)Math.Round(14 + (4 * random.NextGaussian())) % 24 + 24) % 24;
        var cardAge = random.NextDouble() < 0.03 ? random.Next(0, 30) : random.Next(30, 3_650);
        return Transaction(amount, currency, category, country, home, hour, cardAge, Poisson(random, 2.5), distance, random.NextDouble() < presentChance, typical);
    }

    private static FraudTransaction Fraud(Random random)
    {
        var (home, currency, _) = Pick(random, Homes, h => h.Weight);
        var typical = LogNormal(random, 60, 0.6);
        var pattern = random.NextDouble();
        if (pattern < 0.25)
        {
            // Card testing: tiny online amounts, many attempts.
            var country = random.NextDouble() < 0.5 ? home : OtherCountry(random, home);
            return Transaction(
                0.5 + (random.NextDouble() * 4.5), currency, random.NextDouble() < 0.7 ? "digital_goods" : "other", country, home,
                random.Next(24), random.Next(30, 3_650), random.Next(8, 40), LogNormal(random, 800, 1.2), false, typical);
        }

        if (pattern < 0.60)
        {
            // Stolen card: large multiples of the usual amount in resellable goods, often at night and far away.
            string[] risky = ["electronics", "jewelry", "money_transfer", "gambling", "fashion"];
            var foreign = random.NextDouble() < 0.4;
            var country = foreign ? (random.NextDouble() < 0.3 ? Pick(random, ["NG", "RU", "XA", "XB"], _ => 1) : OtherCountry(random, home)) : home;
            var hour = random.NextDouble() < 0.4 ? random.Next(0, 6) : random.Next(24);
            return Transaction(
                typical * (3 + (random.NextDouble() * 22)), currency, risky[random.Next(risky.Length)], country, home, hour,
                random.Next(30, 3_650), random.Next(3, 15), Math.Min(LogNormal(random, 300, 1.2), 15_000), random.NextDouble() < 0.2, typical);
        }

        if (pattern < 0.80)
        {
            // New-card fraud: days-old cards, big online purchases.
            string[] targets = ["electronics", "money_transfer", "travel"];
            return Transaction(
                LogNormal(random, 800, 0.6), currency, targets[random.Next(targets.Length)], home, home, random.Next(24),
                random.Next(0, 21), random.Next(1, 8), LogNormal(random, 50, 1.5), random.NextDouble() < 0.3, typical);
        }

        // Low-signal fraud: ordinary categories and places, only somewhat larger, online, in the evening.
        var (category, _, _) = Pick(random, Categories, c => c.Weight);
        return Transaction(
            typical * (1.5 + (random.NextDouble() * 1.5)), currency, category, home, home, random.Next(17, 24),
            random.Next(30, 3_650), Poisson(random, 4), Math.Min(LogNormal(random, 40, 1.2), 3_000), random.NextDouble() < 0.3, typical);
    }

    private static FraudTransaction Transaction(
        double amountUsd, string currency, string category, string country, string home, int hour, int cardAge, int velocity,
        double distance, bool present, double typicalUsd)
    {
        var rate = FraudSchema.Currencies[currency];
        return new FraudTransaction(
            Math.Round(Math.Max(amountUsd, 0.5) / rate, 2), currency, category, country, home, hour, cardAge, velocity,
            Math.Round(distance, 1), present, Math.Round(typicalUsd / rate, 2));
    }

    private static string OtherCountry(Random random, string home)
    {
        string country;
        do
        {
            country = Abroad[random.Next(Abroad.Length)];
        }
        while (country == home);

        return country;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items, Func<T, double> weight)
    {
        var total = items.Sum(weight);
        var x = random.NextDouble() * total;
        foreach (var item in items)
        {
            x -= weight(item);
            if (x <= 0)
            {
                return item;
            }
        }

        return items[^1];
    }


    private static double LogNormal(Random random, double median, double sigma) => median * Math.Exp(sigma * random.NextGaussian());

    private static int Poisson(Random random, double lambda)
    {
        // Knuth's method; fine for the small rates used here.
        var limit = Math.Exp(-lambda);
        var k = 0;
        var p = random.NextDouble();
        while (p > limit)
        {
            k++;
            p *= random.NextDouble();
        }

        return k;
    }
}
