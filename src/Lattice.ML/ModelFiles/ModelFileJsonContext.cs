using System.Text.Json.Serialization;

namespace Lattice.ML.ModelFiles;

/// <summary>Source-generated JSON for model metadata, so loading works under trimming and AOT.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ModelMetadata))]
internal sealed partial class ModelFileJsonContext : JsonSerializerContext;
