using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Lattice.ML.Text;

/// <summary>Turns text into hashed feature buckets: normalise, tokenise, word n-grams, character n-grams.</summary>
/// <remarks>
/// Tokens are maximal runs of letters, marks, digits and format characters (an apostrophe between
/// two such characters stays inside the word, so "don't" is one token), and single punctuation or
/// symbol characters, emoji included, each its own token: "!!!" and "🙂" carry sentiment and spam
/// signal. Runs of one repeated symbol collapse to at most three. Character n-grams are taken inside
/// word tokens with &lt; and &gt; marking the edges, as fastText does. Every feature is hashed
/// (FNV-1a, then a murmur finaliser) into <see cref="TextFeaturizerOptions.Buckets"/> buckets.
/// </remarks>
internal sealed class TextFeaturizer
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;
    private const uint CharSeed = 0x6A09E667;
    private const uint WordSeed = 0xBB67AE85;

    private readonly CharNormalizer _normalizer;
    private readonly int _wordNgrams;
    private readonly int _charMin;
    private readonly int _charMax;
    private readonly uint _buckets;
    private readonly uint _seed;
    private readonly int _maxInput;

    public TextFeaturizer(TextFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _normalizer = new CharNormalizer(options.Normalization, options.CaseFolding, options.DigitFolding);
        _wordNgrams = options.WordNgrams;
        _charMin = options.CharNgramMin;
        _charMax = options.CharNgramMax;
        _buckets = (uint)options.Buckets;
        _seed = options.HashSeed;
        _maxInput = options.MaxInputChars;
    }

    public TextFeaturizerOptions Options { get; }

    /// <summary>Fills <see cref="FeatureScratch.Buckets"/> with one bucket per feature occurrence.</summary>
    public void Extract(ReadOnlySpan<char> text, FeatureScratch scratch)
    {
        if (text.Length > _maxInput)
        {
            text = text[.._maxInput];
        }

        // Normalisation can expand a character (ligatures, U+FDFA); 2x covers real text and the cut is safe.
        FeatureScratch.Ensure(ref scratch.Text, Math.Max(16, text.Length * 2));
        var length = _normalizer.Normalize(text, scratch.Text);
        var chars = scratch.Text.AsSpan(0, length);
        Tokenize(chars, scratch);

        var capacity = (long)scratch.TokenCount * _wordNgrams;
        if (_charMax > 0)
        {
            var perPosition = _charMax - _charMin + 1;
            for (var t = 0; t < scratch.TokenCount; t++)
            {
                if (scratch.TokenIsWord[t])
                {
                    capacity += (long)(scratch.TokenLength[t] + 2) * perPosition;
                }
            }
        }

        FeatureScratch.Ensure(ref scratch.Buckets, (int)Math.Min(Array.MaxLength, capacity));
        var buckets = scratch.Buckets;
        var count = 0;
        var hashes = scratch.TokenHash;
        for (var t = 0; t < scratch.TokenCount; t++)
        {
            if (_wordNgrams > 0)
            {
                var h = hashes[t];
                buckets[count++] = Bucket(h ^ WordSeed);
                for (var n = 2; n <= _wordNgrams && t - n + 1 >= 0; n++)
                {
                    h = (h * 0x9E3779B1) ^ hashes[t - n + 1];
                    buckets[count++] = Bucket(h + (uint)n);
                }
            }

            if (_charMax > 0 && scratch.TokenIsWord[t])
            {
                count = CharNgrams(chars.Slice(scratch.TokenStart[t], scratch.TokenLength[t]), buckets, count);
            }
        }

        scratch.BucketCount = count;
    }

    private int CharNgrams(ReadOnlySpan<char> word, int[] buckets, int count)
    {
        // Positions run over "<" + word + ">"; single edge markers alone are not features.
        var last = word.Length + 1;
        for (var start = 0; start <= last; start++)
        {
            var h = FnvOffset ^ CharSeed;
            var maxLength = Math.Min(_charMax, last - start + 1);
            for (var n = 1; n <= maxLength; n++)
            {
                var position = start + n - 1;
                var c = position == 0 ? '<' : position == last ? '>' : word[position - 1];
                h = (h ^ c) * FnvPrime;
                if (n >= _charMin && !(n == 1 && (position == 0 || position == last)))
                {
                    buckets[count++] = Bucket(h);
                }
            }
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Bucket(uint hash)
    {
        hash ^= _seed;
        hash ^= hash >> 16;
        hash *= 0x85EBCA6B;
        hash ^= hash >> 13;
        hash *= 0xC2B2AE35;
        hash ^= hash >> 16;
        return (int)(((ulong)hash * _buckets) >> 32);
    }

    private static void Tokenize(ReadOnlySpan<char> chars, FeatureScratch scratch)
    {
        var count = 0;
        var i = 0;
        while (i < chars.Length)
        {
            var kind = Classify(chars, i, out var width);
            if (kind == CharKind.Separator)
            {
                i += width;
                continue;
            }

            scratch.EnsureTokens(count + 1);
            var start = i;
            if (kind == CharKind.Word)
            {
                i += width;
                while (i < chars.Length)
                {
                    var next = Classify(chars, i, out width);
                    if (next == CharKind.Word)
                    {
                        i += width;
                    }
                    else if (next == CharKind.Apostrophe && i + 1 < chars.Length && Classify(chars, i + 1, out _) == CharKind.Word)
                    {
                        i += width;
                    }
                    else
                    {
                        break;
                    }
                }

                scratch.TokenIsWord[count] = true;
            }
            else
            {
                // One symbol (a surrogate pair counts as one); repeats of the same symbol merge, up to three.
                var symbol = chars.Slice(i, width);
                i += width;
                var repeats = 1;
                while (i + width <= chars.Length && chars.Slice(i, width).SequenceEqual(symbol))
                {
                    i += width;
                    repeats++;
                }

                scratch.TokenIsWord[count] = false;
                scratch.TokenStart[count] = start;
                scratch.TokenLength[count] = Math.Min(repeats, 3) * width;
                scratch.TokenHash[count] = Hash(chars.Slice(start, scratch.TokenLength[count]));
                count++;
                continue;
            }

            scratch.TokenStart[count] = start;
            scratch.TokenLength[count] = i - start;
            scratch.TokenHash[count] = Hash(chars[start..i]);
            count++;
        }

        scratch.TokenCount = count;
    }

    private static uint Hash(ReadOnlySpan<char> token)
    {
        var h = FnvOffset;
        foreach (var c in token)
        {
            h = (h ^ c) * FnvPrime;
        }

        return BitOperations.RotateLeft(h, 5) ^ (uint)token.Length;
    }

    private enum CharKind : byte
    {
        Separator,
        Word,
        Apostrophe,
        Symbol,
    }

    private static ReadOnlySpan<byte> AsciiKinds =>
    [
        // 0x00-0x1F control, 0x20 space: separators
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        // ' '  !  "  #  $  %  &  '  (  )  *  +  ,  -  .  /
        0, 3, 3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3,
        // 0-9, : ; < = > ?
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3,
        // @ A-O
        3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        // P-Z [ \ ] ^ _
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 1,
        // ` a-o
        3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        // p-z { | } ~ DEL
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 0,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static CharKind Classify(ReadOnlySpan<char> chars, int index, out int width)
    {
        var c = chars[index];
        width = 1;
        if (c < 0x80)
        {
            return (CharKind)AsciiKinds[c];
        }

        return ClassifyNonAscii(chars, index, ref width);
    }

    private static CharKind ClassifyNonAscii(ReadOnlySpan<char> chars, int index, ref int width)
    {
        var c = chars[index];
        UnicodeCategory category;
        if (char.IsHighSurrogate(c) && index + 1 < chars.Length && char.IsLowSurrogate(chars[index + 1]))
        {
            width = 2;
            category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, chars[index + 1]));
        }
        else if (c == '\u2019')
        {
            return CharKind.Apostrophe;
        }
        else
        {
            category = CharUnicodeInfo.GetUnicodeCategory(c);
        }

        return category switch
        {
            <= UnicodeCategory.EnclosingMark => CharKind.Word, // letters and marks
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Word,
            UnicodeCategory.Format or UnicodeCategory.ConnectorPunctuation => CharKind.Word,
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Control => CharKind.Separator,
            _ => CharKind.Symbol,
        };
    }
}
