using System.Text;
using Lattice.ML.ModelFiles;

namespace Lattice.ML.Tabular;

/// <summary>Helpers the tabular models share to map themselves onto the Lattice model file (sections and checks).</summary>
internal static class TabularModelFile
{
    /// <summary>Stores strings as one UTF-8 byte section plus an int32 offsets section (count + 1 entries).</summary>
    public static ModelFileWriter AddStrings(this ModelFileWriter writer, string name, IReadOnlyList<string> values)
    {
        var offsets = new int[values.Count + 1];
        var bytes = new List<byte>();
        for (var n = 0; n < values.Count; n++)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(values[n]));
            offsets[n + 1] = bytes.Count;
        }

        return writer.Add<byte>($"{name}.utf8", bytes.ToArray()).Add<int>($"{name}.offsets", offsets);
    }

    public static string[] ReadStrings(this ModelFile file, string name)
    {
        var bytes = file.GetSpan<byte>($"{name}.utf8");
        var offsets = file.GetSpan<int>($"{name}.offsets");
        Require(file, offsets.Length >= 1 && offsets[0] == 0 && offsets[^1] == bytes.Length, $"string table '{name}' is inconsistent");
        var values = new string[offsets.Length - 1];
        for (var n = 0; n < values.Length; n++)
        {
            Require(file, offsets[n] <= offsets[n + 1], $"string table '{name}' is inconsistent");
            values[n] = Encoding.UTF8.GetString(bytes[offsets[n]..offsets[n + 1]]);
        }

        return values;
    }

    /// <summary>A copy of a section that must have exactly <paramref name="length"/> elements (any length when negative).</summary>
    public static T[] Read<T>(this ModelFile file, string name, long length = -1)
        where T : unmanaged
    {
        var values = file.ToArray<T>(name);
        Require(file, length < 0 || values.Length == length, $"section '{name}' has {values.Length} elements, expected {length}");
        return values;
    }

    /// <summary>Checks the file holds the expected algorithm before any section is read.</summary>
    public static void RequireAlgorithm(ModelFile file, string algorithm)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Metadata.Algorithm != algorithm)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' holds a '{file.Metadata.Algorithm}' model, expected '{algorithm}'.");
        }
    }

    public static void Require(ModelFile file, bool condition, string problem)
    {
        if (!condition)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Model '{file.Metadata.Name}' is inconsistent: {problem}.");
        }
    }
}
