using System.Text.Json.Serialization;

namespace Lattice.ML.Datasets;

/// <summary>Source-generated JSON for dataset side files.</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class DatasetJsonContext : JsonSerializerContext;
