using System.Buffers.Binary;
using System.Numerics;

namespace Lattice.ML.ModelFiles;

/// <summary>CRC-32C (Castagnoli) over a span; hardware-accelerated where the CPU has it.</summary>
/// <remarks>System.IO.Hashing does not restore here; BitOperations.Crc32C uses SSE4.2/ARM CRC instructions.</remarks>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFF_FFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
