using System.Text.Json;
using Lattice.Contracts;
using Microsoft.Extensions.Options;

namespace Lattice.Hosting.Apis;

/// <summary>The source-generated contract metadata with the configured depth limit and strict required/nullable handling.</summary>
internal sealed class ModelServerJson(IOptions<ModelServerLimitsOptions> limits)
{
    public ContractsJsonContext Context { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        MaxDepth = limits.Value.MaxJsonDepth,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    });

    public ModelServerLimitsOptions Limits { get; } = limits.Value;
}
