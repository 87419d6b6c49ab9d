using System.Runtime.InteropServices;
using System.Text;

namespace Lattice.ML.Tabular;

/// <summary>
/// The seam between tabular models and the on-disk format: a model writes its payload with a
/// <see cref="BinaryWriter"/>; this class frames it (magic, kind, payload version) so that moving to the
/// shared versioned model file format only changes this file.
/// </summary>
internal static class TabularModelFile
{
    private const uint Magic = 0x42415454; // "TTAB" little-endian
    private const int MaxArrayLength = 256 * 1024 * 1024;

    public static void Write(Stream stream, string kind, int payloadVersion, Action<BinaryWriter> writePayload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writePayload);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(kind);
        writer.Write(payloadVersion);
        writePayload(writer);
        writer.Write(Magic);
    }

    public static T Read<T>(Stream stream, string kind, int maxPayloadVersion, Func<BinaryReader, int, T> readPayload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(readPayload);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadUInt32() != Magic)
            {
                throw new InvalidDataException("Not a Lattice tabular model file (bad magic).");
            }

            var actualKind = reader.ReadString();
            if (actualKind != kind)
            {
                throw new InvalidDataException($"Model file holds a '{actualKind}' model, expected '{kind}'.");
            }

            var version = reader.ReadInt32();
            if (version < 1 || version > maxPayloadVersion)
            {
                throw new InvalidDataException($"Unsupported {kind} payload version {version} (this build reads up to {maxPayloadVersion}).");
            }

            var model = readPayload(reader, version);
            return reader.ReadUInt32() == Magic ? model : throw new InvalidDataException("Model file is truncated or corrupt (bad trailer).");
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"The {kind} model file is truncated.", ex);
        }
    }

    public static void WriteArray<T>(this BinaryWriter writer, T[] values)
        where T : unmanaged
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static T[] ReadArray<T>(this BinaryReader reader)
        where T : unmanaged
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > MaxArrayLength)
        {
            throw new InvalidDataException($"Array length {length} in model file is out of range.");
        }

        var values = new T[length];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        reader.BaseStream.ReadExactly(bytes);

        return values;
    }

    public static void WriteStrings(this BinaryWriter writer, IReadOnlyList<string> values)
    {
        writer.Write(values.Count);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    public static string[] ReadStrings(this BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > MaxArrayLength)
        {
            throw new InvalidDataException($"String count {length} in model file is out of range.");
        }

        var values = new string[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = reader.ReadString();
        }

        return values;
    }
}
