using System.Text.Json;
using System.Text.Json.Serialization;
using Lattice.Contracts.Events;
using Lattice.Contracts.Inference;
using Lattice.Contracts.Text;

namespace Lattice.Contracts;

/// <summary>Source-generated JSON metadata for every contract type (no reflection on hot paths).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InferenceRequest))]
[JsonSerializable(typeof(InferenceResponse))]
[JsonSerializable(typeof(InferenceErrorResponse))]
[JsonSerializable(typeof(ServerMetadataResponse))]
[JsonSerializable(typeof(ModelMetadataResponse))]
[JsonSerializable(typeof(ServerLiveResponse))]
[JsonSerializable(typeof(ServerReadyResponse))]
[JsonSerializable(typeof(ModelReadyResponse))]
[JsonSerializable(typeof(TextClassificationRequest))]
[JsonSerializable(typeof(TextClassificationBatchRequest))]
[JsonSerializable(typeof(TextClassificationResponse))]
[JsonSerializable(typeof(TextClassificationBatchResponse))]
[JsonSerializable(typeof(PredictionEvent))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
