using System.ComponentModel.DataAnnotations;
using Lattice.ML.Anomaly;

namespace Lattice.Services.Fraud;

/// <summary>Decision and explanation settings of the fraud service (section <c>Lattice:Fraud</c>).</summary>
public sealed class FraudServiceOptions
{
    public const string SectionName = "Lattice:Fraud";

    /// <summary>
    /// Score at or above which a transaction is called fraud, in [0, 1]. Unset (the default): each version's own
    /// threshold from its model file (the F1-best cut on its validation data; 0.645 for the shipped demo model).
    /// </summary>
    [Range(0.0, 1.0)]
    public double? DecisionThreshold { get; set; }

    /// <summary>Contributing features listed per explained transaction, largest |contribution| first. Default 3.</summary>
    [Range(1, FraudSchemaFeatures.Count)]
    public int TopFeatures { get; set; } = 3;
}

/// <summary>The number of schema-level features contributions are reported for (<see cref="FraudModel.FeatureNames"/>).</summary>
internal static class FraudSchemaFeatures
{
    public const int Count = 9;
}
