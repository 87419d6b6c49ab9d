namespace Lattice.Contracts.Inference;

/// <summary>Open Inference Protocol tensor datatype names.</summary>
public static class InferenceDatatypes
{
    public const string Bool = "BOOL";
    public const string UInt8 = "UINT8";
    public const string UInt16 = "UINT16";
    public const string UInt32 = "UINT32";
    public const string UInt64 = "UINT64";
    public const string Int8 = "INT8";
    public const string Int16 = "INT16";
    public const string Int32 = "INT32";
    public const string Int64 = "INT64";
    public const string Fp16 = "FP16";
    public const string Fp32 = "FP32";
    public const string Fp64 = "FP64";
    public const string Bytes = "BYTES";

    /// <summary>True for the signed and unsigned integer datatypes (INT8 to UINT64).</summary>
    public static bool IsInteger(string? datatype) =>
        datatype is Int8 or Int16 or Int32 or Int64 or UInt8 or UInt16 or UInt32 or UInt64;
}
