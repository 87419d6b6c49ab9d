using System.Text.Json;
using System.Text.Json.Serialization;
using Lattice.Contracts.Forecasting;
using Lattice.Contracts.Fraud;
using Lattice.Contracts.Recommendation;

namespace Lattice.Contracts;

/// <summary>
/// Source-generated JSON metadata of the recommendation, fraud and forecasting contracts. Strict on reading: required
/// members and non-nullable values must be present, and numbers must be JSON numbers (not strings).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RecommendationRequest))]
[JsonSerializable(typeof(SimilarItemsRequest))]
[JsonSerializable(typeof(RatingPredictionRequest))]
[JsonSerializable(typeof(RecommendationResponse))]
[JsonSerializable(typeof(SimilarItemsResponse))]
[JsonSerializable(typeof(RatingPredictionResponse))]
[JsonSerializable(typeof(FraudScoreRequest))]
[JsonSerializable(typeof(FraudBatchScoreRequest))]
[JsonSerializable(typeof(FraudScoreResponse))]
[JsonSerializable(typeof(FraudBatchScoreResponse))]
[JsonSerializable(typeof(ForecastRequest))]
[JsonSerializable(typeof(ForecastResponse))]
public sealed partial class TabularContractsJsonContext : JsonSerializerContext;
