using System.Collections.Frozen;

namespace Lattice.ML.Anomaly;

/// <summary>
/// A card transaction as the fraud model sees it (the documented schema of the fraud service).
/// </summary>
/// <param name="Amount">Amount in <paramref name="Currency"/>, greater than 0.</param>
/// <param name="Currency">ISO 4217 code, one of <see cref="FraudSchema.Currencies"/>.</param>
/// <param name="MerchantCategory">One of <see cref="FraudSchema.MerchantCategories"/> (unknown values count as <c>other</c>).</param>
/// <param name="Country">ISO 3166-1 alpha-2 code of the merchant.</param>
/// <param name="HomeCountry">ISO 3166-1 alpha-2 code of the cardholder's address.</param>
/// <param name="Hour">Local hour of the transaction, 0–23.</param>
/// <param name="CardAgeDays">Days since the card was issued, ≥ 0.</param>
/// <param name="TransactionsLast24Hours">Transactions on the card in the previous 24 hours (velocity), ≥ 0.</param>
/// <param name="DistanceFromHomeKm">Distance between merchant and cardholder address, ≥ 0.</param>
/// <param name="CardPresent">False for card-not-present (online, phone) transactions.</param>
/// <param name="AverageAmount30Days">The card's average transaction amount over 30 days in <paramref name="Currency"/>, ≥ 0 (0 when unknown).</param>
public sealed record FraudTransaction(
    double Amount,
    string Currency,
    string MerchantCategory,
    string Country,
    string HomeCountry,
    int Hour,
    int CardAgeDays,
    int TransactionsLast24Hours,
    double DistanceFromHomeKm,
    bool CardPresent,
    double AverageAmount30Days);

/// <summary>A transaction with its label, for training and evaluation.</summary>
public sealed record LabeledTransaction(FraudTransaction Transaction, bool IsFraud);

/// <summary>The fraud feature schema: accepted values, limits, and the encoding into model features.</summary>
public static class FraudSchema
{
    /// <summary>Largest accepted amount (in USD after conversion); larger requests are refused, not clipped.</summary>
    public const double MaxAmountUsd = 10_000_000;

    public const int MaxCardAgeDays = 36_500;

    public const int MaxTransactionsLast24Hours = 100_000;

    public const double MaxDistanceKm = 20_100; // half the Earth's circumference

    /// <summary>Fixed demo conversion rates to USD (a deployment would feed daily rates; the model only needs the scale).</summary>
    public static FrozenDictionary<string, double> Currencies { get; } = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase)
    {
        ["USD"] = 1.0, ["EUR"] = 1.08, ["GBP"] = 1.27, ["CHF"] = 1.12, ["CAD"] = 0.73, ["AUD"] = 0.66, ["JPY"] = 0.0067,
        ["SEK"] = 0.095, ["NOK"] = 0.093, ["DKK"] = 0.145, ["PLN"] = 0.25, ["INR"] = 0.012, ["BRL"] = 0.18, ["MXN"] = 0.055,
        ["CNY"] = 0.14, ["SGD"] = 0.74, ["ZAR"] = 0.054, ["NZD"] = 0.6,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Merchant categories in encoding order.</summary>
    public static IReadOnlyList<string> MerchantCategories { get; } =
    [
        "grocery", "restaurant", "fuel", "travel", "electronics", "jewelry", "digital_goods", "gambling",
        "money_transfer", "fashion", "pharmacy", "entertainment", "other",
    ];

    /// <summary>Merchant countries the demo data treats as high risk (illustrative, not a real list).</summary>
    public static FrozenSet<string> HighRiskCountries { get; } = new[] { "XA", "XB", "XC", "NG", "RU", "VE" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Schema-level feature names; contributions are reported per name.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } =
    [
        "amount", "amount_vs_average", "hour", "card_age_days", "transactions_last_24_hours", "distance_from_home_km",
        "card_present", "country", "merchant_category",
    ];

    /// <summary>Width of the encoded model input.</summary>
    public static int EncodedWidth => 9 + MerchantCategories.Count;

    private static readonly FrozenDictionary<string, int> CategoryIndex =
        MerchantCategories.Select((c, i) => (c, i)).ToFrozenDictionary(p => p.c, p => p.i, StringComparer.OrdinalIgnoreCase);

    /// <summary>Which schema feature (index into <see cref="FeatureNames"/>) each encoded column belongs to.</summary>
    internal static int[] EncodedToFeature { get; } =
        [0, 1, 2, 3, 4, 5, 6, 7, 7, .. Enumerable.Repeat(8, MerchantCategories.Count)];

    /// <summary>Null when the transaction is valid, else a message for a 400 response.</summary>
    public static string? Validate(FraudTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (!double.IsFinite(transaction.Amount) || transaction.Amount <= 0)
        {
            return "amount must be a finite number greater than 0.";
        }

        if (transaction.Currency is null || !Currencies.TryGetValue(transaction.Currency, out var rate))
        {
            return $"currency must be one of {string.Join(", ", Currencies.Keys.Order(StringComparer.Ordinal))}.";
        }

        if (transaction.Amount * rate > MaxAmountUsd)
        {
            return $"amount exceeds the limit of {MaxAmountUsd} USD.";
        }

        if (!IsCountry(transaction.Country) || !IsCountry(transaction.HomeCountry))
        {
            return "country and homeCountry must be two-letter ISO 3166-1 codes.";
        }

        if (transaction.Hour is < 0 or > 23)
        {
            return "hour must be between 0 and 23.";
        }

        if (transaction.CardAgeDays < 0 || transaction.CardAgeDays > MaxCardAgeDays)
        {
            return $"cardAgeDays must be between 0 and {MaxCardAgeDays}.";
        }

        if (transaction.TransactionsLast24Hours < 0 || transaction.TransactionsLast24Hours > MaxTransactionsLast24Hours)
        {
            return $"transactionsLast24Hours must be between 0 and {MaxTransactionsLast24Hours}.";
        }

        if (!double.IsFinite(transaction.DistanceFromHomeKm) || transaction.DistanceFromHomeKm < 0 || transaction.DistanceFromHomeKm > MaxDistanceKm)
        {
            return $"distanceFromHomeKm must be between 0 and {MaxDistanceKm}.";
        }

        if (!double.IsFinite(transaction.AverageAmount30Days) || transaction.AverageAmount30Days < 0 || transaction.AverageAmount30Days * rate > MaxAmountUsd)
        {
            return "averageAmount30Days must be a finite number between 0 and the amount limit.";
        }

        // Encode stores amount / average as a float: a tiny positive average (1e-40) overflows it to infinity.
        if (transaction.AverageAmount30Days > 0 && !float.IsFinite((float)(transaction.Amount / transaction.AverageAmount30Days)))
        {
            return "averageAmount30Days is too small for this amount: amount / averageAmount30Days is beyond the model's range (send 0 when the average is unknown).";
        }

        return transaction.MerchantCategory is null ? "merchantCategory is required." : null;
    }

    /// <summary>Encodes a validated transaction into <paramref name="destination"/> (length <see cref="EncodedWidth"/>).</summary>
    public static void Encode(FraudTransaction transaction, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (destination.Length != EncodedWidth)
        {
            throw new ArgumentException($"Destination must have {EncodedWidth} entries.", nameof(destination));
        }

        var rate = Currencies[transaction.Currency];
        var amount = transaction.Amount * rate;
        var average = transaction.AverageAmount30Days * rate;
        destination.Clear();
        destination[0] = (float)amount;

        // Without a history the ratio is unknown; 1 means "typical", which is what a new customer gets.
        destination[1] = average > 0 ? (float)(amount / average) : 1f;
        destination[2] = transaction.Hour;
        destination[3] = transaction.CardAgeDays;
        destination[4] = transaction.TransactionsLast24Hours;
        destination[5] = (float)transaction.DistanceFromHomeKm;
        destination[6] = transaction.CardPresent ? 1 : 0;
        destination[7] = string.Equals(transaction.Country, transaction.HomeCountry, StringComparison.OrdinalIgnoreCase) ? 0 : 1;
        destination[8] = HighRiskCountries.Contains(transaction.Country) ? 1 : 0;
        var category = CategoryIndex.TryGetValue(transaction.MerchantCategory, out var index) ? index : MerchantCategories.Count - 1;
        destination[9 + category] = 1;
    }

    private static bool IsCountry(string? code) => code is { Length: 2 } && char.IsAsciiLetter(code[0]) && char.IsAsciiLetter(code[1]);
}
