using System.Text;

namespace Lattice.ML.Datasets;

/// <summary>Minimal readers for the tab- and comma-separated files in the shared datasets.</summary>
internal static class DelimitedReader
{
    /// <summary>Splits each non-empty line on its first TAB (the datasets use no quoting).</summary>
    public static IEnumerable<(string First, string Second)> ReadTabPairs(string path, bool skipHeader)
    {
        var first = true;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            if (first && skipHeader)
            {
                first = false;
                continue;
            }

            first = false;
            if (line.Length == 0)
            {
                continue;
            }

            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                throw new InvalidDataException($"{path}: line without a TAB: '{line[..Math.Min(40, line.Length)]}'.");
            }

            yield return (line[..tab], line[(tab + 1)..].TrimEnd('\r'));
        }
    }

    /// <summary>Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF).</summary>
    public static List<string[]> ReadCsv(string path)
    {
        var text = File.ReadAllText(path, Encoding.UTF8);
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var fieldStarted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRow();
                    break;
                default:
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }

        EndRow();
        return rows;

        void EndRow()
        {
            if (fieldStarted || field.Length > 0 || fields.Count > 0)
            {
                fields.Add(field.ToString());
                rows.Add([.. fields]);
            }

            fields.Clear();
            field.Clear();
            fieldStarted = false;
        }
    }
}
