using Lattice.ML.Text;

namespace Lattice.ML.Tests.Text;

public sealed class TextFeaturizerTests
{
    private static readonly TextFeaturizerOptions WordsAndChars = new() { WordNgrams = 2, CharNgramMin = 1, CharNgramMax = 4, Buckets = 1 << 16 };

    public static TheoryData<string, string> EdgeCases => new()
    {
        { "empty", string.Empty },
        { "only emoji", "😀😂🙂👍🏽❤️" },
        { "only punctuation", "!!!???...,,,;;;---***" },
        { "mixed scripts", "Hello Привет こんにちは مرحبا שלום 你好 नमस्ते ☃" },
        { "invalid surrogates", "a\uD800b\uDC00c\uDBFF" },
        { "trailing high surrogate", "abc\uD83D" },
        { "NUL characters", "a\0b\0\0c\0" },
        { "control characters", "\u0001\u0002\t\r\n\u007F\u0085" },
        { "whitespace only", " \t\n\u00A0\u2003 " },
        { "combining marks alone", "\u0301\u0302\u0303" },
    };

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void Extract_EdgeCase_DoesNotThrowAndHashesIntoRange(string name, string text)
    {
        var sut = new TextFeaturizer(WordsAndChars);
        var scratch = new FeatureScratch();

        sut.Extract(text, scratch);

        Assert.True(scratch.BucketCount >= 0, name);
        Assert.All(scratch.Buckets.Take(scratch.BucketCount), b => Assert.InRange(b, 0, WordsAndChars.Buckets - 1));
    }

    [Fact]
    public void Extract_OnlyEmoji_KeepsEachEmojiAsAFeature()
    {
        var sut = new TextFeaturizer(new TextFeaturizerOptions { WordNgrams = 1, Buckets = 1 << 16 });
        var scratch = new FeatureScratch();

        sut.Extract("🙂 😡", scratch);
        var first = scratch.Buckets[..scratch.BucketCount];
        sut.Extract("😡 🙂", scratch);

        Assert.Equal(2, scratch.BucketCount);
        Assert.NotEqual(first[0], first[1]);
        Assert.Equal(first.Order(), scratch.Buckets[..scratch.BucketCount].Order());
    }

    [Fact]
    public void Extract_RepeatedPunctuation_DiffersFromSinglePunctuation()
    {
        var sut = new TextFeaturizer(new TextFeaturizerOptions { WordNgrams = 1, Buckets = 1 << 16 });
        var scratch = new FeatureScratch();

        sut.Extract("great!", scratch);
        var single = scratch.Buckets[..scratch.BucketCount];
        sut.Extract("great!!!!!!", scratch);

        Assert.Equal(2, scratch.BucketCount);
        Assert.Equal(single[0], scratch.Buckets[0]);
        Assert.NotEqual(single[1], scratch.Buckets[1]);
    }

    [Fact]
    public void Extract_OneMegabyteText_IsCutAtMaxInputAndStaysBounded()
    {
        var options = WordsAndChars with { MaxInputChars = 20_000 };
        var sut = new TextFeaturizer(options);
        var scratch = new FeatureScratch();
        var huge = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 40_000));

        sut.Extract(huge, scratch);
        var count = scratch.BucketCount;
        var capacity = scratch.Buckets.Length;
        sut.Extract(huge.AsSpan(0, 20_000), scratch);

        Assert.Equal(scratch.BucketCount, count);
        Assert.True(capacity < 1_000_000, $"feature buffer grew to {capacity}");
    }

    [Fact]
    public void Extract_SteadyState_AllocatesNothing()
    {
        var sut = new TextFeaturizer(WordsAndChars);
        var scratch = new FeatureScratch();
        string[] texts = ["Crème brûlée, s'il vous plaît!", "Ｆｕｌｌｗｉｄｔｈ ﬁne", "日本語のテキスト", "😀 emoji", "a\uD800b\0"];
        foreach (var text in texts)
        {
            sut.Extract(text, scratch);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            foreach (var text in texts)
            {
                sut.Extract(text, scratch);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("Ｈｅｌｌｏ", "hello")]
    [InlineData("ﬁne", "fine")]
    [InlineData("CAFÉ", "café")]
    [InlineData("cafe\u0301", "café")]
    [InlineData("non\u00A0breaking", "non breaking")]
    public void Extract_EquivalentSpellings_GiveTheSameFeatures(string variant, string canonical)
    {
        var sut = new TextFeaturizer(WordsAndChars);
        var scratch = new FeatureScratch();

        sut.Extract(canonical, scratch);
        var expected = scratch.Buckets[..scratch.BucketCount];
        sut.Extract(variant, scratch);

        Assert.Equal(expected, scratch.Buckets[..scratch.BucketCount]);
    }

    [Fact]
    public void Extract_SeparateInstances_GiveIdenticalFeatures()
    {
        var first = new FeatureScratch();
        var second = new FeatureScratch();

        new TextFeaturizer(WordsAndChars).Extract("The quick brown fox", first);
        var sut = new TextFeaturizer(WordsAndChars);
        sut.Extract("The quick brown fox", second);

        Assert.Equal(first.Buckets[..first.BucketCount], second.Buckets[..second.BucketCount]);
    }
}
