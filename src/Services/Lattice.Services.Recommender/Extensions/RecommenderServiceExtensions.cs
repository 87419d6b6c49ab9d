using Lattice.Contracts;
using Lattice.Hosting;
using Lattice.Services.Recommender.Serving;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Lattice.Services.Recommender.Extensions;

/// <summary>Registers the recommender: <c>models/recommender/&lt;version&gt;/model.lattice</c> and the service's options.</summary>
public static class RecommenderServiceExtensions
{
    /// <summary>The model name: its folder in the repository, its OIP name and its metric tag.</summary>
    public const string ModelName = "recommender";

    public static IHostApplicationBuilder AddRecommenderModel(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RecommenderServiceOptions>()
            .BindConfiguration(RecommenderServiceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RecommenderServiceOptions>, RecommenderServiceOptionsValidator>();
        builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, TabularContractsJsonContext.Default));
        return builder.AddModelServer(server => server.AddModel(ModelName, new RecommenderModelLoader()));
    }
}
