using System.Text;
using Lattice.ML.Text;

namespace Lattice.Bench.Text;

/// <summary>Regenerates src/Lattice.ML/Text/unicode-map.bin from the runtime's ICU (run on purpose only:
/// the table pins the Unicode behaviour of the featuriser, so existing models stay valid).</summary>
internal static class UnicodeTableGenerator
{
    public static int Run(string path)
    {
        var nfkc = new List<(char, string)>();
        var lower = new List<(char, char)>();
        var compose = new List<(char, char, char)>();
        for (var i = 0x80; i <= char.MaxValue; i++)
        {
            var c = (char)i;
            if (char.IsSurrogate(c))
            {
                continue;
            }

            var text = c.ToString();
            string normalized;
            try
            {
                normalized = text.Normalize(NormalizationForm.FormKC);
            }
            catch (ArgumentException)
            {
                normalized = text;
            }

            if (normalized != text && normalized.Length <= 18)
            {
                nfkc.Add((c, normalized));
            }

            var lowered = char.ToLowerInvariant(c);
            if (lowered != c)
            {
                lower.Add((c, lowered));
            }

            if (c is >= '\uAC00' and <= '\uD7A3')
            {
                continue; // Hangul syllables compose arithmetically in UnicodeMap.TryCompose.
            }

            string decomposed;
            try
            {
                decomposed = text.Normalize(NormalizationForm.FormD);
            }
            catch (ArgumentException)
            {
                continue;
            }

            // Primary composites: one base plus one mark that NFC composes back to c.
            if (decomposed.Length == 2 && decomposed.Normalize(NormalizationForm.FormC) == text)
            {
                compose.Add((decomposed[0], decomposed[1], c));
            }
            else if (decomposed.Length > 2)
            {
                var head = decomposed[..^1].Normalize(NormalizationForm.FormC);
                if (head.Length == 1 && (head + decomposed[^1]).Normalize(NormalizationForm.FormC) == text)
                {
                    compose.Add((head[0], decomposed[^1], c));
                }
            }
        }

        File.WriteAllBytes(path, UnicodeMap.Serialize(nfkc, lower, compose));
        Console.WriteLine($"{path}: {nfkc.Count} NFKC mappings, {lower.Count} lower-case mappings, {compose.Count} compositions");
        return 0;
    }
}
