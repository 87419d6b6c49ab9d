using System.Globalization;
using System.Text;

namespace Lattice.ML.Text;

/// <summary>Normalises, case-folds and cleans text character by character without allocating in steady state.</summary>
/// <remarks>
/// The runtime's span normalisation allocates per call (ICU interop), so each BMP character's
/// NFKC + lower-case mapping is computed once, on first sight, and cached in a table shared by all
/// threads (a race only writes an equal value twice). Mapping per character equals NFKC for text
/// whose base letters and marks are already composed, which is what real input almost always is;
/// decomposed input stays decomposed, consistently at training and inference time.
/// Control characters (including NUL) become spaces and unpaired surrogates become U+FFFD, so no
/// input can make tokenisation throw.
/// </remarks>
internal sealed class CharNormalizer
{
    private static readonly string?[]?[] Tables = new string?[]?[8];

    // Canonical composition of (previous char, combining mark) pairs, computed on first sight.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> Compositions = new();
    private readonly string?[] _table;
    private readonly bool _nfkc;
    private readonly bool _fold;
    private readonly bool _digits;

    public CharNormalizer(TextNormalization normalization, bool caseFolding, bool digitFolding)
    {
        _nfkc = normalization == TextNormalization.Nfkc;
        _fold = caseFolding;
        _digits = digitFolding;
        var index = (_nfkc ? 4 : 0) | (_fold ? 2 : 0) | (_digits ? 1 : 0);
        var table = Volatile.Read(ref Tables[index]);
        if (table is null)
        {
            Interlocked.CompareExchange(ref Tables[index], new string?[char.MaxValue + 1], null);
            table = Volatile.Read(ref Tables[index])!;
        }

        _table = table;
    }

    /// <summary>Largest number of characters one input character can expand to (NFKC of U+FDFA).</summary>
    public const int MaxExpansion = 18;

    /// <summary>Writes the cleaned form of <paramref name="source"/> into <paramref name="destination"/>,
    /// stopping when it is full; returns the number of characters written.</summary>
    public int Normalize(ReadOnlySpan<char> source, Span<char> destination)
    {
        var written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (c < 0x80)
            {
                if (written == destination.Length)
                {
                    break;
                }

                destination[written++] = MapAscii(c);
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < source.Length && char.IsLowSurrogate(source[i + 1]))
            {
                // Supplementary characters (emoji, rare CJK) pass through unchanged.
                if (written + 2 > destination.Length)
                {
                    break;
                }

                destination[written++] = c;
                destination[written++] = source[++i];
                continue;
            }

            if (char.IsSurrogate(c))
            {
                if (written == destination.Length)
                {
                    break;
                }

                destination[written++] = '\uFFFD';
                continue;
            }

            var mapped = _table[c] ?? Fill(c);
            if (written + mapped.Length > destination.Length)
            {
                break;
            }

            if (mapped.Length == 1)
            {
                if (_nfkc && written > 0 && IsCombiningMark(mapped[0]))
                {
                    written = Compose(destination, written, mapped[0]);
                    continue;
                }

                destination[written++] = mapped[0];
            }
            else
            {
                mapped.CopyTo(destination[written..]);
                written += mapped.Length;
            }
        }

        return written;
    }

    private static bool IsCombiningMark(char c) =>
        c >= 0x300 && CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    /// <summary>Appends a combining mark, composing it with the previous character as NFC would
    /// (decomposed input such as "e" + U+0301 becomes "é", matching composed input).</summary>
    private static int Compose(Span<char> destination, int written, char mark)
    {
        var previous = destination[written - 1];
        if (char.IsSurrogate(previous) || previous < 0x41)
        {
            destination[written++] = mark;
            return written;
        }

        var key = (previous << 16) | mark;
        if (!Compositions.TryGetValue(key, out var composed))
        {
            try
            {
                composed = string.Concat(previous.ToString(), mark.ToString()).Normalize(NormalizationForm.FormC);
            }
            catch (ArgumentException)
            {
                composed = string.Empty;
            }

            if (composed.Length is 0 or > 2)
            {
                composed = string.Empty;
            }

            Compositions.TryAdd(key, composed);
        }

        if (composed.Length == 0 || (composed.Length == 2 && written + 1 > destination.Length))
        {
            destination[written++] = mark;
            return written;
        }

        destination[written - 1] = composed[0];
        if (composed.Length == 2)
        {
            destination[written++] = composed[1];
        }

        return written;
    }

    private char MapAscii(char c)
    {
        if (c < 0x20 || c == 0x7F)
        {
            return ' ';
        }

        if (_fold && c is >= 'A' and <= 'Z')
        {
            return (char)(c | 0x20);
        }

        if (_digits && c is >= '0' and <= '9')
        {
            return '0';
        }

        return c;
    }

    private string Fill(char c)
    {
        var text = c.ToString();
        if (char.IsControl(c))
        {
            text = " ";
        }
        else if (_nfkc)
        {
            try
            {
                text = text.Normalize(NormalizationForm.FormKC);
            }
            catch (ArgumentException)
            {
                // Unassigned or invalid code units normalise to themselves.
            }
        }

        if (_fold)
        {
            text = text.ToLowerInvariant();
        }

        if (_digits)
        {
            text = string.Create(text.Length, text, static (chars, source) =>
            {
                for (var i = 0; i < chars.Length; i++)
                {
                    chars[i] = CharUnicodeInfo.GetUnicodeCategory(source[i]) == UnicodeCategory.DecimalDigitNumber ? '0' : source[i];
                }
            });
        }

        if (text.Length == 0 || text.Length > MaxExpansion)
        {
            text = c.ToString();
        }

        _table[c] = text;
        return text;
    }
}
