using Lattice.ML.Tests.TestSupport;
using Lattice.ML.Text;

namespace Lattice.ML.Tests.Text;

/// <summary>The default models under models/ load, carry their metadata and answer sensibly.</summary>
public sealed class ShippedModelsTests
{
    [Theory]
    [InlineData("language", 75)]
    [InlineData("sentiment", 2)]
    [InlineData("intent", 77)]
    [InlineData("spam", 2)]
    public void Load_ShippedModel_HasMetadataAndFitsTheSizeLimit(string name, int classes)
    {
        var path = RepositoryPaths.Model(name);

        var sut = TextClassifier.Load(path);

        Assert.Equal(name, sut.Metadata.Name);
        Assert.Equal(classes, sut.ClassCount);
        Assert.StartsWith("sha256:", sut.Metadata.TrainingData!.Fingerprint, StringComparison.Ordinal);
        Assert.True(sut.Metadata.Metrics["test.accuracy"] > 0.8);
        Assert.True(new FileInfo(path).Length <= 25 * 1024 * 1024);
    }

    [Theory]
    [InlineData("Das ist ein ganz normaler Satz auf Deutsch.", "de")]
    [InlineData("Ceci est une phrase tout à fait ordinaire en français.", "fr")]
    [InlineData("Esta es una frase completamente normal en español.", "es")]
    [InlineData("Это совершенно обычное предложение на русском языке.", "ru")]
    [InlineData("これは日本語のごく普通の文です。", "ja")]
    [InlineData("This is a perfectly ordinary sentence in English.", "en")]
    public void Predict_LanguageModel_IdentifiesCommonLanguages(string text, string expected)
    {
        var sut = TextClassifier.Load(RepositoryPaths.Model("language"));

        Assert.Equal(expected, sut.Predict(text).Label);
    }

    [Theory]
    [InlineData("sentiment", "a gorgeous , witty , seductive movie .", "1")]
    [InlineData("sentiment", "the plot is a dull , lifeless mess .", "0")]
    [InlineData("intent", "I still have not received my new card, when will it arrive?", "card_arrival")]
    [InlineData("spam", "Sorry, I'll call you later, stuck in a meeting", "ham")]
    [InlineData("spam", "URGENT! You have won a 1 week FREE membership in our £100,000 Prize Jackpot! Txt CLAIM to 81010", "spam")]
    public void Predict_ShippedModel_GetsObviousCasesRight(string model, string text, string expected)
    {
        var sut = TextClassifier.Load(RepositoryPaths.Model(model));

        Assert.Equal(expected, sut.Predict(text).Label);
    }
}
