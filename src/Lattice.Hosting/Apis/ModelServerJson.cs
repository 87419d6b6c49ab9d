using System.Text.Json;
using Lattice.Contracts;
using Microsoft.Extensions.Options;

namespace Lattice.Hosting.Apis;

/// <summary>
/// The source-generated contract metadata with the configured depth limit and strict number, required and nullable
/// handling: a number sent as a string (<c>"shape": ["1"]</c>) is refused, as the protocol's own parser refuses it.
/// </summary>
internal sealed class ModelServerJson(IOptions<ModelServerLimitsOptions> limits)
{
    public ContractsJsonContext Context { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        MaxDepth = limits.Value.MaxJsonDepth,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    });

    public ModelServerLimitsOptions Limits { get; } = limits.Value;
}
