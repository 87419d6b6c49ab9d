namespace Lattice.ML.Text;

/// <summary>Unicode normalisation applied before tokenisation.</summary>
public enum TextNormalization
{
    /// <summary>Text is used as given.</summary>
    None,

    /// <summary>Compatibility composition (NFKC) of every character: full-width forms, ligatures,
    /// non-breaking spaces and compatibility digits fold to their plain forms.</summary>
    Nfkc,
}

/// <summary>How the count of a feature in one text becomes its value.</summary>
public enum TermWeighting
{
    /// <summary>The raw count.</summary>
    Count,

    /// <summary>1 if present.</summary>
    Binary,

    /// <summary>1 + ln(count), damping repeated terms.</summary>
    Sublinear,
}

/// <summary>Normalisation of the final feature vector.</summary>
public enum VectorNormalization
{
    None,

    /// <summary>Values sum to 1 (an average of the feature weights, as fastText does).</summary>
    L1,

    /// <summary>Unit Euclidean length (the usual choice with TF-IDF).</summary>
    L2,
}

/// <summary>Settings of the text featuriser; stored in the model file so inference featurises exactly as training did.</summary>
public sealed record TextFeaturizerOptions
{
    /// <summary>Unicode normalisation. Default NFKC.</summary>
    public TextNormalization Normalization { get; init; } = TextNormalization.Nfkc;

    /// <summary>Lower-case (invariant culture) after normalisation. Default true.</summary>
    public bool CaseFolding { get; init; } = true;

    /// <summary>Map every decimal digit to 0, so numbers count by shape. Default false.</summary>
    public bool DigitFolding { get; init; }

    /// <summary>Longest word n-gram (1 = unigrams, 2 = unigrams and bigrams, 0 = no word features). Default 2.</summary>
    public int WordNgrams { get; init; } = 2;

    /// <summary>Shortest character n-gram inside a word (with &lt; and &gt; marking its edges); 0 disables them. Default 0.</summary>
    public int CharNgramMin { get; init; }

    /// <summary>Longest character n-gram. Default 0.</summary>
    public int CharNgramMax { get; init; }

    /// <summary>Number of hash buckets (the hashing trick). Default 2^20.</summary>
    public int Buckets { get; init; } = 1 << 20;

    /// <summary>Seed mixed into every feature hash.</summary>
    public uint HashSeed { get; init; } = 0x5EED_1A77;

    /// <summary>Term weighting. Default <see cref="TermWeighting.Sublinear"/>.</summary>
    public TermWeighting Weighting { get; init; } = TermWeighting.Sublinear;

    /// <summary>Multiply by inverse document frequency learned from the training set. Default false.</summary>
    public bool UseIdf { get; init; }

    /// <summary>Vector normalisation. Default L2.</summary>
    public VectorNormalization VectorNormalization { get; init; } = VectorNormalization.L2;

    /// <summary>Longest input considered, in UTF-16 characters; longer texts are cut (this bounds work and memory per call). Default 65,536.</summary>
    public int MaxInputChars { get; init; } = 65_536;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(WordNgrams);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WordNgrams, 5);
        ArgumentOutOfRangeException.ThrowIfNegative(CharNgramMin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CharNgramMax, 10);
        ArgumentOutOfRangeException.ThrowIfLessThan(CharNgramMax, CharNgramMin);
        ArgumentOutOfRangeException.ThrowIfLessThan(Buckets, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInputChars, 1);
        if (CharNgramMin == 0 && CharNgramMax != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CharNgramMin), "CharNgramMin must be at least 1 when character n-grams are on.");
        }

        if (WordNgrams == 0 && CharNgramMax == 0)
        {
            throw new ArgumentException("At least one of word n-grams and character n-grams must be on.");
        }
    }
}
