using System.Text.Json.Serialization;

namespace Lattice.ML.Evaluation;

/// <summary>Source-generated JSON for evaluation reports.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ClassificationReport))]
[JsonSerializable(typeof(CrossValidationReport))]
[JsonSerializable(typeof(Dictionary<string, ClassificationReport>))]
public sealed partial class EvaluationJsonContext : JsonSerializerContext;
