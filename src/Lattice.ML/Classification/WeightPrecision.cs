namespace Lattice.ML.Classification;

/// <summary>How a model's weights are stored.</summary>
public enum WeightPrecision
{
    /// <summary>32-bit floats (exact).</summary>
    Float32,

    /// <summary>16-bit floats: half the size, about three significant digits.</summary>
    Float16,

    /// <summary>8-bit integers with a scale per row: a quarter of the size; dense weights only
    /// (sparse weights fall back to 16-bit).</summary>
    Int8,
}
