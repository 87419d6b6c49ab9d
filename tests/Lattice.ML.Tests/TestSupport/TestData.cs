using Lattice.ML.Datasets;

namespace Lattice.ML.Tests.TestSupport;

/// <summary>Small, deterministic subsets of the shared datasets, loaded once per test run.</summary>
internal static class TestData
{
    private static readonly Lazy<TextDataset> SpamData = new(() => TextDatasets.SmsSpam());
    private static readonly Lazy<TextDataset> Sst2Data = new(() => TextDatasets.Sst2(phrases: false));
    private static readonly Lazy<TextDataset> LanguageData = new(() => TextDatasets.LanguageId());

    public static TextDataset Spam => SpamData.Value;

    /// <summary>SST-2 with the 6,920 training sentences (not the 67k phrases) to keep tests fast.</summary>
    public static TextDataset Sst2Sentences => Sst2Data.Value;

    public static TextDataset Language => LanguageData.Value;

    /// <summary>Every n-th example, in order.</summary>
    public static List<LabeledText> EveryNth(IReadOnlyList<LabeledText> examples, int n) =>
        examples.Where((_, i) => i % n == 0).ToList();
}
