namespace Lattice.Hosting.Models;

/// <summary>One item to score: a text, or a row of numeric features.</summary>
public readonly struct ModelInput
{
    private ModelInput(ReadOnlyMemory<char> text, ReadOnlyMemory<float> features, bool isText)
    {
        Text = text;
        Features = features;
        IsText = isText;
    }

    /// <summary>The text of a text input.</summary>
    public ReadOnlyMemory<char> Text { get; }

    /// <summary>The features of a numeric input (length <see cref="ModelSignature.FeatureCount"/>).</summary>
    public ReadOnlyMemory<float> Features { get; }

    /// <summary>Whether this is a text input.</summary>
    public bool IsText { get; }

    public static ModelInput FromText(string text) => new(text.AsMemory(), default, isText: true);

    public static ModelInput FromText(ReadOnlyMemory<char> text) => new(text, default, isText: true);

    public static ModelInput FromFeatures(ReadOnlyMemory<float> features) => new(default, features, isText: false);
}
