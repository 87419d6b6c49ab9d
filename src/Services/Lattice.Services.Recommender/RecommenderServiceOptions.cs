using System.ComponentModel.DataAnnotations;
using Lattice.ML.Recommendation;
using Microsoft.Extensions.Options;

namespace Lattice.Services.Recommender;

/// <summary>Request defaults and limits of the recommender (section <c>Lattice:Recommender</c>).</summary>
public sealed class RecommenderServiceOptions
{
    public const string SectionName = "Lattice:Recommender";

    /// <summary>Items returned when a request gives no <c>k</c>. Default 10.</summary>
    [Range(1, RecommenderModel.MaxResults)]
    public int DefaultK { get; set; } = 10;

    /// <summary>Largest <c>k</c> a request may ask for; beyond it the answer is 400 <c>limit-exceeded</c>. Default 100.</summary>
    [Range(1, RecommenderModel.MaxResults)]
    public int MaxK { get; set; } = 100;
}

/// <summary>Cross-field rule: the default k must be one a request could ask for.</summary>
internal sealed class RecommenderServiceOptionsValidator : IValidateOptions<RecommenderServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, RecommenderServiceOptions options) =>
        options.DefaultK <= options.MaxK
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{RecommenderServiceOptions.SectionName}:DefaultK ({options.DefaultK}) must not exceed MaxK ({options.MaxK}).");
}
