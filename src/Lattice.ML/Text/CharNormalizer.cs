using System.Globalization;

namespace Lattice.ML.Text;

/// <summary>Normalises, case-folds and cleans text character by character without allocating in steady state.</summary>
/// <remarks>
/// Each BMP character's NFKC + lower-case mapping comes from <see cref="UnicodeMap"/> (pinned Unicode
/// data, no ICU) once, on first sight, and is cached in a table shared by all threads (a race only
/// writes an equal value twice); the runtime's span normalisation allocates per call. Mapping per
/// character equals NFKC for text whose letters are composed, which is what real input almost
/// always is; a combining mark that follows a base it composes with is composed, so decomposed
/// input ("e" + U+0301) featurises like composed input ("é"). Control characters (including NUL)
/// become spaces and unpaired surrogates become U+FFFD, so no input can make tokenisation throw.
/// Supplementary-plane characters (emoji, rare CJK) pass through unchanged.
/// </remarks>
internal sealed class CharNormalizer
{
    // Per option combination, 256 lazily allocated blocks of 256 characters: a process that only sees
    // Latin text touches one or two small blocks instead of a 512 KB table.
    private static readonly string?[]?[]?[] Tables = new string?[]?[]?[8];
    private readonly string?[]?[] _table;
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
            Interlocked.CompareExchange(ref Tables[index], new string?[]?[256], null);
            table = Volatile.Read(ref Tables[index])!;
        }

        _table = table;
    }

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

            var mapped = _table[c >> 8]?[c & 0xFF] ?? Fill(c);
            if (written + mapped.Length > destination.Length)
            {
                break;
            }

            if (mapped.Length == 1)
            {
                var m = mapped[0];
                if (_nfkc && written > 0 && IsCombiningMark(m) && UnicodeMap.Instance.TryCompose(destination[written - 1], m, out var composed))
                {
                    destination[written - 1] = composed;
                    continue;
                }

                destination[written++] = m;
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
        var map = UnicodeMap.Instance;
        var source = char.IsControl(c) ? " " : _nfkc ? map.Nfkc(c) : c.ToString();
        var chars = source.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (_fold)
            {
                chars[i] = map.ToLower(chars[i]);
            }

            if (_digits && CharUnicodeInfo.GetUnicodeCategory(chars[i]) == UnicodeCategory.DecimalDigitNumber)
            {
                chars[i] = '0';
            }
        }

        var text = new string(chars);
        var block = Volatile.Read(ref _table[c >> 8]);
        if (block is null)
        {
            Interlocked.CompareExchange(ref _table[c >> 8], new string?[256], null);
            block = Volatile.Read(ref _table[c >> 8])!;
        }

        block[c & 0xFF] = text;
        return text;
    }
}
