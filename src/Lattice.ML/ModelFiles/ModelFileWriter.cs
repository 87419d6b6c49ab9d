using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Lattice.ML.ModelFiles;

/// <summary>Builds a Lattice model file from metadata and named tensors.</summary>
/// <example>
/// <code>
/// var writer = new ModelFileWriter(metadata);
/// writer.Add("weights", weights, rows, columns);
/// writer.Save("models/sentiment/1/model.lattice");
/// </code>
/// </example>
public sealed class ModelFileWriter
{
    private readonly ModelMetadata _metadata;
    private readonly List<PendingSection> _sections = [];

    public ModelFileWriter(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        _metadata = metadata;
    }

    /// <summary>Adds a section; <paramref name="shape"/> defaults to one dimension of <c>data.Length</c>.</summary>
    public ModelFileWriter Add<T>(string name, ReadOnlySpan<T> data, params ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) > ModelFileFormat.MaxNameBytes)
        {
            throw new ArgumentException($"Section name is longer than {ModelFileFormat.MaxNameBytes} UTF-8 bytes.", nameof(name));
        }

        if (_sections.Exists(s => s.Name == name))
        {
            throw new ArgumentException($"Section '{name}' was already added.", nameof(name));
        }

        if (shape.Length > ModelFileFormat.MaxRank)
        {
            throw new ArgumentException($"At most {ModelFileFormat.MaxRank} dimensions are supported.", nameof(shape));
        }

        long[] dims = shape.IsEmpty ? [data.Length] : shape.ToArray();
        long count = 1;
        foreach (var d in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"Shape [{string.Join(", ", dims)}] holds {count} elements but {data.Length} were given.", nameof(shape));
        }

        if (_sections.Count == ModelFileFormat.MaxSections)
        {
            throw new InvalidOperationException($"A model file holds at most {ModelFileFormat.MaxSections} sections.");
        }

        _sections.Add(new PendingSection(name, TensorDataTypes.Of<T>(), dims, MemoryMarshal.AsBytes(data).ToArray()));
        return this;
    }

    /// <summary>Serialises the file to a new byte array.</summary>
    public byte[] ToArray()
    {
        EnsureLittleEndian();
        var metadata = ModelMetadataJson.Write(_metadata);
        var names = _sections.ConvertAll(s => Encoding.UTF8.GetBytes(s.Name));

        long tableSize = 0;
        for (var i = 0; i < _sections.Count; i++)
        {
            tableSize += 2 + names[i].Length + 4 + (8 * _sections[i].Shape.Length) + 16;
        }

        var offsets = new long[_sections.Count];
        var position = ModelFileFormat.Align(ModelFileFormat.HeaderSize + metadata.Length + tableSize);
        for (var i = 0; i < _sections.Count; i++)
        {
            offsets[i] = position;
            position = ModelFileFormat.Align(position + _sections[i].Data.Length);
        }

        var total = position + ModelFileFormat.TrailerSize;
        if (total > Array.MaxLength)
        {
            throw new InvalidOperationException("Model files larger than 2 GB are not supported.");
        }

        var file = new byte[total];
        var span = file.AsSpan();
        ModelFileFormat.Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], ModelFileFormat.CurrentVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], 0); // flags, reserved
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], (ulong)total);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)metadata.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], (uint)_sections.Count);
        metadata.CopyTo(span[ModelFileFormat.HeaderSize..]);

        var cursor = ModelFileFormat.HeaderSize + metadata.Length;
        for (var i = 0; i < _sections.Count; i++)
        {
            var section = _sections[i];
            BinaryPrimitives.WriteUInt16LittleEndian(span[cursor..], (ushort)names[i].Length);
            cursor += 2;
            names[i].CopyTo(span[cursor..]);
            cursor += names[i].Length;
            span[cursor++] = (byte)section.DataType;
            span[cursor++] = (byte)section.Shape.Length;
            cursor += 2; // reserved
            foreach (var dim in section.Shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(span[cursor..], dim);
                cursor += 8;
            }

            BinaryPrimitives.WriteInt64LittleEndian(span[cursor..], offsets[i]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(cursor + 8)..], section.Data.Length);
            cursor += 16;
            section.Data.CopyTo(span[(int)offsets[i]..]);
        }

        var trailer = span[^ModelFileFormat.TrailerSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32C.Compute(span[..^ModelFileFormat.TrailerSize]));
        ModelFileFormat.TrailerMagic.CopyTo(trailer[4..]);
        return file;
    }

    /// <summary>Writes the file to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToArray());
    }

    /// <summary>Writes the file atomically: a temporary file next to the target is renamed over it,
    /// so a model server watching the folder never sees a half-written model.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, ToArray());
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    internal static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Lattice model files are little-endian; big-endian hosts are not supported.");
        }
    }

    private sealed record PendingSection(string Name, TensorDataType DataType, long[] Shape, byte[] Data);
}
