using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Lattice.ML.ModelFiles;

/// <summary>A loaded, verified Lattice model file: JSON metadata plus named binary sections (tensors).</summary>
/// <remarks>
/// Layout (all integers little-endian), format version 1:
/// <code>
/// 0   8  magic 89 'L' 'A' 'T' 'T' 0D 0A 1A
/// 8   4  format version (uint32)
/// 12  4  flags (uint32, 0)
/// 16  8  total file length in bytes (uint64)
/// 24  4  metadata length M (uint32)
/// 28  4  section count N (uint32)
/// 32  M  metadata, UTF-8 JSON (<see cref="ModelMetadata"/>)
///     N  section entries: name length (uint16), UTF-8 name, data type (byte), rank R (byte),
///        reserved (2 bytes), R dimensions (int64 each), data offset (int64), data length (int64)
///        section data, each 64-byte aligned, zero padding between
/// -8  4  CRC-32C of every byte before it
/// -4  4  "LEND"
/// </code>
/// The reader checks, in order: magic, version (a newer file is refused, never half-read), length,
/// checksum, then every offset, length and type in the section table. Any failure throws
/// <see cref="ModelFileException"/> naming the file and the problem.
/// </remarks>
public sealed class ModelFile
{
    private readonly byte[] _bytes;
    private readonly Dictionary<string, ModelSectionInfo> _sections;

    private ModelFile(byte[] bytes, uint formatVersion, ModelMetadata metadata, Dictionary<string, ModelSectionInfo> sections, IReadOnlyList<ModelSectionInfo> ordered)
    {
        _bytes = bytes;
        FormatVersion = formatVersion;
        Metadata = metadata;
        _sections = sections;
        Sections = ordered;
    }

    /// <summary>The newest format version this build reads (and the one it writes).</summary>
    public static uint SupportedFormatVersion => ModelFileFormat.CurrentVersion;

    /// <summary>The format version the file was written with.</summary>
    public uint FormatVersion { get; }

    /// <summary>The model's metadata.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The sections in file order.</summary>
    public IReadOnlyList<ModelSectionInfo> Sections { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long Length => _bytes.LongLength;

    /// <summary>Reads and verifies a model file.</summary>
    /// <exception cref="ModelFileException">The file is not a valid model file of a supported version.</exception>
    public static ModelFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        // A bare handle and one positional read: lighter at process start than FileStream's buffering layers.
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Cannot load {path}: it is larger than 2 GB.");
        }

        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return Read(read == bytes.Length ? bytes : bytes[..read], path);
    }

    /// <summary>Reads and verifies a model file from a stream (read to its end).</summary>
    public static ModelFile Read(Stream stream, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.ToArray(), source);
    }

    /// <summary>Reads and verifies a model file held in memory. The array is kept, not copied.</summary>
    public static ModelFile Read(byte[] bytes, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ModelFileWriter.EnsureLittleEndian();
        var name = source ?? "model file";
        var span = bytes.AsSpan();

        if (span.Length < ModelFileFormat.Magic.Length || !span[..ModelFileFormat.Magic.Length].SequenceEqual(ModelFileFormat.Magic))
        {
            throw Fail(ModelFileError.NotAModelFile, name, "it does not start with the Lattice model signature");
        }

        if (span.Length < ModelFileFormat.HeaderSize + ModelFileFormat.TrailerSize)
        {
            throw Fail(ModelFileError.Truncated, name, $"it is {span.Length} bytes long, shorter than the header");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        if (version > ModelFileFormat.CurrentVersion || version == 0)
        {
            throw Fail(ModelFileError.UnsupportedVersion, name,
                $"it uses format version {version}, but this build reads versions 1 to {ModelFileFormat.CurrentVersion}; upgrade Lattice to load it");
        }

        var declaredLength = BinaryPrimitives.ReadUInt64LittleEndian(span[16..]);
        if (declaredLength > (ulong)span.Length)
        {
            throw Fail(ModelFileError.Truncated, name, $"it is {span.Length} bytes long but its header says {declaredLength}");
        }

        if (declaredLength < (ulong)span.Length)
        {
            throw Fail(ModelFileError.Malformed, name, $"it has {(ulong)span.Length - declaredLength} unexpected bytes after its end");
        }

        var trailer = span[^ModelFileFormat.TrailerSize..];
        if (!trailer[4..].SequenceEqual(ModelFileFormat.TrailerMagic))
        {
            throw Fail(ModelFileError.Truncated, name, "its end marker is missing");
        }

        var expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var actualCrc = Crc32C.Compute(span[..^ModelFileFormat.TrailerSize]);
        if (expectedCrc != actualCrc)
        {
            throw Fail(ModelFileError.ChecksumMismatch, name, $"its checksum does not match (stored {expectedCrc:x8}, computed {actualCrc:x8}); the file is corrupt");
        }

        var flags = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        if (flags != 0)
        {
            throw Fail(ModelFileError.UnsupportedVersion, name, $"it sets header flags {flags:x8} that this build does not know");
        }

        var metadataLength = BinaryPrimitives.ReadUInt32LittleEndian(span[24..]);
        var sectionCount = BinaryPrimitives.ReadUInt32LittleEndian(span[28..]);
        var dataEnd = span.Length - ModelFileFormat.TrailerSize;
        if (metadataLength > ModelFileFormat.MaxMetadataBytes || ModelFileFormat.HeaderSize + (long)metadataLength > dataEnd)
        {
            throw Fail(ModelFileError.Malformed, name, $"its metadata length {metadataLength} is out of range");
        }

        if (sectionCount > ModelFileFormat.MaxSections)
        {
            throw Fail(ModelFileError.Malformed, name, $"it declares {sectionCount} sections, more than {ModelFileFormat.MaxSections}");
        }

        var metadata = ParseMetadata(span.Slice(ModelFileFormat.HeaderSize, (int)metadataLength), name);
        var (sections, ordered) = ParseSections(span, ModelFileFormat.HeaderSize + (int)metadataLength, (int)sectionCount, dataEnd, name);
        return new ModelFile(bytes, version, metadata, sections, ordered);
    }

    /// <summary>Whether the file has a section with this name.</summary>
    public bool Contains(string name) => _sections.ContainsKey(name);

    /// <summary>The description of a section.</summary>
    public ModelSectionInfo GetSection(string name) =>
        _sections.TryGetValue(name, out var section)
            ? section
            : throw new ModelFileException(ModelFileError.MissingContent, $"Model '{Metadata.Name}' has no section '{name}'.");

    /// <summary>A read-only view of a section's elements; valid as long as this object lives.</summary>
    public ReadOnlySpan<T> GetSpan<T>(string name)
        where T : unmanaged
    {
        var section = GetSection(name);
        var expected = TensorDataTypes.Of<T>();
        if (section.DataType != expected)
        {
            throw new ModelFileException(ModelFileError.Malformed,
                $"Section '{name}' of model '{Metadata.Name}' holds {section.DataType}, not {expected}.");
        }

        return MemoryMarshal.Cast<byte, T>(_bytes.AsSpan((int)section.Offset, (int)section.Length));
    }

    /// <summary>A copy of a section's elements.</summary>
    public T[] ToArray<T>(string name)
        where T : unmanaged => GetSpan<T>(name).ToArray();

    private static ModelMetadata ParseMetadata(ReadOnlySpan<byte> json, string name)
    {
        ModelMetadata? metadata;
        try
        {
            metadata = ModelMetadataJson.Read(json);
        }
        catch (FormatException ex)
        {
            throw new ModelFileException(ModelFileError.Malformed, $"Cannot load {name}: its metadata is not valid JSON ({ex.Message}).", ex);
        }

        if (metadata is null || string.IsNullOrEmpty(metadata.Name) || string.IsNullOrEmpty(metadata.Algorithm))
        {
            throw Fail(ModelFileError.MissingContent, name, "its metadata lacks a name or an algorithm");
        }

        return metadata;
    }

    private static (Dictionary<string, ModelSectionInfo> ByName, List<ModelSectionInfo> Ordered) ParseSections(
        ReadOnlySpan<byte> span, int cursor, int count, int dataEnd, string name)
    {
        var byName = new Dictionary<string, ModelSectionInfo>(count, StringComparer.Ordinal);
        var ordered = new List<ModelSectionInfo>(count);
        for (var i = 0; i < count; i++)
        {
            if (cursor + 2 > dataEnd)
            {
                throw Fail(ModelFileError.Malformed, name, "its section table runs past the end of the file");
            }

            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(span[cursor..]);
            cursor += 2;
            if (nameLength == 0 || nameLength > ModelFileFormat.MaxNameBytes || cursor + nameLength + 4 > dataEnd)
            {
                throw Fail(ModelFileError.Malformed, name, $"section {i} has an invalid name length {nameLength}");
            }

            var sectionName = Encoding.UTF8.GetString(span.Slice(cursor, nameLength));
            cursor += nameLength;
            var type = (TensorDataType)span[cursor];
            int rank = span[cursor + 1];
            cursor += 4;
            var elementSize = TensorDataTypes.SizeOf(type);
            if (elementSize == 0)
            {
                throw Fail(ModelFileError.UnsupportedVersion, name, $"section '{sectionName}' uses unknown data type code {(byte)type}");
            }

            if (rank > ModelFileFormat.MaxRank || cursor + (8 * rank) + 16 > dataEnd)
            {
                throw Fail(ModelFileError.Malformed, name, $"section '{sectionName}' has an invalid rank {rank}");
            }

            var shape = new long[rank];
            long elements = 1;
            for (var d = 0; d < rank; d++)
            {
                shape[d] = BinaryPrimitives.ReadInt64LittleEndian(span[cursor..]);
                cursor += 8;
                if (shape[d] < 0 || (shape[d] > 0 && elements > long.MaxValue / shape[d]))
                {
                    throw Fail(ModelFileError.Malformed, name, $"section '{sectionName}' has an invalid dimension {shape[d]}");
                }

                elements *= shape[d];
            }

            var offset = BinaryPrimitives.ReadInt64LittleEndian(span[cursor..]);
            var length = BinaryPrimitives.ReadInt64LittleEndian(span[(cursor + 8)..]);
            cursor += 16;
            if (offset < 0 || length < 0 || offset > dataEnd || length > dataEnd - offset || offset % ModelFileFormat.Alignment != 0)
            {
                throw Fail(ModelFileError.Malformed, name, $"section '{sectionName}' points outside the file");
            }

            if (elements > long.MaxValue / elementSize || length != elements * elementSize)
            {
                throw Fail(ModelFileError.Malformed, name, $"section '{sectionName}' is {length} bytes, which does not match its shape");
            }

            var info = new ModelSectionInfo(sectionName, type, shape, offset, length);
            if (!byName.TryAdd(sectionName, info))
            {
                throw Fail(ModelFileError.Malformed, name, $"section '{sectionName}' appears twice");
            }

            ordered.Add(info);
        }

        return (byName, ordered);
    }

    private static ModelFileException Fail(ModelFileError error, string name, string reason) =>
        new(error, $"Cannot load {name}: {reason}.");
}
