namespace Lattice.ML.ModelFiles;

/// <summary>Constants of the binary layout; see docs in <see cref="ModelFile"/>.</summary>
internal static class ModelFileFormat
{
    /// <summary>PNG-style magic: a high byte and CR LF SUB catch text-mode transfers and truncation to 7 bits.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'L', (byte)'A', (byte)'T', (byte)'T', 0x0D, 0x0A, 0x1A];

    public static ReadOnlySpan<byte> TrailerMagic => "LEND"u8;

    /// <summary>The format version this code writes and the newest it reads.</summary>
    public const uint CurrentVersion = 1;

    public const int HeaderSize = 32;
    public const int TrailerSize = 8;
    public const int Alignment = 64;
    public const int MaxSections = 4096;
    public const int MaxNameBytes = 256;
    public const int MaxRank = 8;
    public const int MaxMetadataBytes = 16 * 1024 * 1024;

    public static long Align(long value) => (value + Alignment - 1) / Alignment * Alignment;
}
