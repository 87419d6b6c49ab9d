using System.Text.Json.Serialization;
using Lattice.ML.Classification;

namespace Lattice.ML.Text;

/// <summary>Training settings recorded in a text model's metadata.</summary>
internal sealed record TextTrainingSettings(
    string Algorithm,
    SoftmaxRegressionOptions? SoftmaxRegression,
    NaiveBayesOptions? NaiveBayes,
    double ValidationFraction,
    bool RefitOnAllData,
    int Epochs,
    float Temperature,
    int MinDocumentFrequency,
    int Seed);

/// <summary>Source-generated JSON for the training settings recorded in metadata (written at training time only).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(TextTrainingSettings))]
internal sealed partial class TextModelJsonContext : JsonSerializerContext;
