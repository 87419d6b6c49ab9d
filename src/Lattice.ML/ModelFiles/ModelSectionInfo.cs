namespace Lattice.ML.ModelFiles;

/// <summary>One named binary section (a tensor) of a model file.</summary>
/// <param name="Name">Section name, unique within the file, e.g. <c>weights</c>.</param>
/// <param name="DataType">Element type.</param>
/// <param name="Shape">Dimensions; their product is the element count.</param>
/// <param name="Offset">Byte offset of the data from the start of the file (64-byte aligned).</param>
/// <param name="Length">Length of the data in bytes.</param>
public sealed record ModelSectionInfo(string Name, TensorDataType DataType, IReadOnlyList<long> Shape, long Offset, long Length)
{
    /// <summary>Number of elements (the product of <see cref="Shape"/>).</summary>
    public long ElementCount => Length / TensorDataTypes.SizeOf(DataType);
}
