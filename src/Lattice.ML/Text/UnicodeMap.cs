using System.Buffers.Binary;

namespace Lattice.ML.Text;

/// <summary>Unicode data the featuriser needs, pinned in an embedded table: per-character NFKC mappings,
/// simple lower-case mappings and canonical compositions of (base, combining mark) pairs.</summary>
/// <remarks>
/// Pinning the table rather than asking ICU at run time has two effects: a model featurises the same
/// on every machine and ICU version, so a model trained today predicts the same next year; and a
/// process that loads a model never pays for loading ICU (~15 ms of CPU, more than a small model's
/// whole prediction run). The table is generated from ICU by
/// <c>bench/Lattice.Bench.Text unicode-table src/Lattice.ML/Text/unicode-map.bin</c>.
/// </remarks>
internal sealed class UnicodeMap
{
    private static readonly Lazy<UnicodeMap> Shared = new(Load);
    private readonly char[] _nfkcKeys;
    private readonly string[] _nfkcValues;
    private readonly char[] _lowerKeys;
    private readonly char[] _lowerValues;
    private readonly int[] _composeKeys;
    private readonly char[] _composeValues;

    private UnicodeMap(char[] nfkcKeys, string[] nfkcValues, char[] lowerKeys, char[] lowerValues, int[] composeKeys, char[] composeValues)
    {
        _nfkcKeys = nfkcKeys;
        _nfkcValues = nfkcValues;
        _lowerKeys = lowerKeys;
        _lowerValues = lowerValues;
        _composeKeys = composeKeys;
        _composeValues = composeValues;
    }

    public static UnicodeMap Instance => Shared.Value;

    /// <summary>The NFKC form of a single BMP character (the character itself when unchanged).</summary>
    public string Nfkc(char c)
    {
        var index = Find(_nfkcKeys, c);
        return index >= 0 ? _nfkcValues[index] : c.ToString();
    }

    /// <summary>Invariant simple lower-case mapping.</summary>
    public char ToLower(char c)
    {
        if (c < 0x80)
        {
            return c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
        }

        var index = Find(_lowerKeys, c);
        return index >= 0 ? _lowerValues[index] : c;
    }

    /// <summary>The canonical composition of a base character and a following combining mark, if any.</summary>
    public bool TryCompose(char first, char mark, out char composed)
    {
        // Hangul syllables compose arithmetically (Unicode 3.12), so the table leaves them out.
        const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, VCount = 21, TCount = 28, SCount = 11172;
        if (first - LBase is >= 0 and < 19 && mark - VBase is >= 0 and < VCount)
        {
            composed = (char)(SBase + ((((first - LBase) * VCount) + (mark - VBase)) * TCount));
            return true;
        }

        if (first - SBase is >= 0 and < SCount && (first - SBase) % TCount == 0 && mark - TBase is > 0 and < TCount)
        {
            composed = (char)(first + (mark - TBase));
            return true;
        }

        var key = (first << 16) | mark;
        int lo = 0, hi = _composeKeys.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var value = _composeKeys[mid];
            if (value == key)
            {
                composed = _composeValues[mid];
                return true;
            }

            if (value < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        composed = '\0';
        return false;
    }

    private static int Find(char[] keys, char c)
    {
        int lo = 0, hi = keys.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (keys[mid] == c)
            {
                return mid;
            }

            if (keys[mid] < c)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }

    internal static byte[] Serialize(IReadOnlyList<(char Key, string Value)> nfkc, IReadOnlyList<(char Key, char Value)> lower, IReadOnlyList<(char First, char Mark, char Composed)> compose)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("LUNI"u8);
        writer.Write(1);
        writer.Write(nfkc.Count);
        foreach (var (key, value) in nfkc.OrderBy(p => p.Key))
        {
            writer.Write((ushort)key);
            writer.Write((byte)value.Length);
            foreach (var c in value)
            {
                writer.Write((ushort)c);
            }
        }

        writer.Write(lower.Count);
        foreach (var (key, value) in lower.OrderBy(p => p.Key))
        {
            writer.Write((ushort)key);
            writer.Write((ushort)value);
        }

        writer.Write(compose.Count);
        foreach (var (first, mark, composed) in compose.OrderBy(p => (p.First << 16) | p.Mark))
        {
            writer.Write((ushort)first);
            writer.Write((ushort)mark);
            writer.Write((ushort)composed);
        }

        writer.Flush();
        return stream.ToArray();
    }

    private static UnicodeMap Load()
    {
        using var stream = typeof(UnicodeMap).Assembly.GetManifestResourceStream("Lattice.ML.Text.unicode-map.bin")
            ?? throw new InvalidOperationException("The embedded Unicode table is missing from Lattice.ML.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        ReadOnlySpan<byte> span = bytes;
        if (!span.StartsWith("LUNI"u8) || BinaryPrimitives.ReadInt32LittleEndian(span[4..]) != 1)
        {
            throw new InvalidOperationException("The embedded Unicode table has an unknown format.");
        }

        var position = 8;
        var count = ReadInt32(span, ref position);
        var nfkcKeys = new char[count];
        var nfkcValues = new string[count];
        for (var i = 0; i < count; i++)
        {
            nfkcKeys[i] = ReadChar(span, ref position);
            var length = span[position++];
            var chars = new char[length];
            for (var k = 0; k < length; k++)
            {
                chars[k] = ReadChar(span, ref position);
            }

            nfkcValues[i] = new string(chars);
        }

        count = ReadInt32(span, ref position);
        var lowerKeys = new char[count];
        var lowerValues = new char[count];
        for (var i = 0; i < count; i++)
        {
            lowerKeys[i] = ReadChar(span, ref position);
            lowerValues[i] = ReadChar(span, ref position);
        }

        count = ReadInt32(span, ref position);
        var composeKeys = new int[count];
        var composeValues = new char[count];
        for (var i = 0; i < count; i++)
        {
            composeKeys[i] = (ReadChar(span, ref position) << 16) | ReadChar(span, ref position);
            composeValues[i] = ReadChar(span, ref position);
        }

        return new UnicodeMap(nfkcKeys, nfkcValues, lowerKeys, lowerValues, composeKeys, composeValues);
    }

    private static int ReadInt32(ReadOnlySpan<byte> span, ref int position)
    {
        var value = BinaryPrimitives.ReadInt32LittleEndian(span[position..]);
        position += 4;
        return value;
    }

    private static char ReadChar(ReadOnlySpan<byte> span, ref int position)
    {
        var value = (char)BinaryPrimitives.ReadUInt16LittleEndian(span[position..]);
        position += 2;
        return value;
    }
}
