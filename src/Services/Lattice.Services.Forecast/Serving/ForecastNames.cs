using System.Collections.Frozen;
using Lattice.ML.Forecasting;

namespace Lattice.Services.Forecast.Serving;

/// <summary>The wire names of frequencies and methods (snake_case, case-insensitive).</summary>
internal static class ForecastNames
{
    private static readonly FrozenDictionary<string, SeriesFrequency> Frequencies = new Dictionary<string, SeriesFrequency>(StringComparer.OrdinalIgnoreCase)
    {
        ["hourly"] = SeriesFrequency.Hourly,
        ["daily"] = SeriesFrequency.Daily,
        ["weekly"] = SeriesFrequency.Weekly,
        ["monthly"] = SeriesFrequency.Monthly,
        ["quarterly"] = SeriesFrequency.Quarterly,
        ["yearly"] = SeriesFrequency.Yearly,
        ["other"] = SeriesFrequency.Other,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, ForecastMethod> Methods = new Dictionary<string, ForecastMethod>(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = ForecastMethod.Auto,
        ["naive"] = ForecastMethod.Naive,
        ["seasonal_naive"] = ForecastMethod.SeasonalNaive,
        ["naive2"] = ForecastMethod.Naive2,
        ["ses"] = ForecastMethod.Ses,
        ["holt"] = ForecastMethod.Holt,
        ["damped"] = ForecastMethod.Damped,
        ["theta"] = ForecastMethod.Theta,
        ["comb"] = ForecastMethod.Comb,
        ["ets"] = ForecastMethod.Ets,
        ["holt_winters_additive"] = ForecastMethod.HoltWintersAdditive,
        ["holt_winters_multiplicative"] = ForecastMethod.HoltWintersMultiplicative,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public static string FrequencyList { get; } = string.Join(", ", Frequencies.Keys.Order(StringComparer.Ordinal));

    public static string MethodList { get; } = string.Join(", ", Methods.Keys.Order(StringComparer.Ordinal));

    public static bool TryParseFrequency(string? name, out SeriesFrequency frequency) => Frequencies.TryGetValue(name ?? string.Empty, out frequency);

    public static bool TryParseMethod(string? name, out ForecastMethod method) => Methods.TryGetValue(name ?? string.Empty, out method);

    public static string Name(SeriesFrequency frequency) => frequency.ToString().ToLowerInvariant();
}
