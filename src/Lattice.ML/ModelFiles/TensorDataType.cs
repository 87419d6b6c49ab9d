namespace Lattice.ML.ModelFiles;

/// <summary>Element type of a binary section in a model file. Values are stored in the file: never renumber.</summary>
public enum TensorDataType : byte
{
    Float32 = 1,
    Float16 = 2,
    Float64 = 3,
    Int8 = 4,
    UInt8 = 5,
    Int16 = 6,
    UInt16 = 7,
    Int32 = 8,
    UInt32 = 9,
    Int64 = 10,
    UInt64 = 11,
}

/// <summary>Maps CLR element types to <see cref="TensorDataType"/> and back.</summary>
internal static class TensorDataTypes
{
    public static TensorDataType Of<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return TensorDataType.Float32;
        if (typeof(T) == typeof(Half)) return TensorDataType.Float16;
        if (typeof(T) == typeof(double)) return TensorDataType.Float64;
        if (typeof(T) == typeof(sbyte)) return TensorDataType.Int8;
        if (typeof(T) == typeof(byte)) return TensorDataType.UInt8;
        if (typeof(T) == typeof(short)) return TensorDataType.Int16;
        if (typeof(T) == typeof(ushort)) return TensorDataType.UInt16;
        if (typeof(T) == typeof(int)) return TensorDataType.Int32;
        if (typeof(T) == typeof(uint)) return TensorDataType.UInt32;
        if (typeof(T) == typeof(long)) return TensorDataType.Int64;
        if (typeof(T) == typeof(ulong)) return TensorDataType.UInt64;
        throw new NotSupportedException($"Element type {typeof(T).Name} cannot be stored in a model file.");
    }

    /// <summary>Size of one element in bytes, or 0 for an unknown type code.</summary>
    public static int SizeOf(TensorDataType type) => type switch
    {
        TensorDataType.Int8 or TensorDataType.UInt8 => 1,
        TensorDataType.Float16 or TensorDataType.Int16 or TensorDataType.UInt16 => 2,
        TensorDataType.Float32 or TensorDataType.Int32 or TensorDataType.UInt32 => 4,
        TensorDataType.Float64 or TensorDataType.Int64 or TensorDataType.UInt64 => 8,
        _ => 0,
    };
}
