using Lattice.Contracts;
using Lattice.Hosting;
using Lattice.Services.Fraud.Serving;
using Microsoft.AspNetCore.Http.Json;

namespace Lattice.Services.Fraud.Extensions;

/// <summary>Registers the fraud model: <c>models/fraud/&lt;version&gt;/model.lattice</c> and the service's options.</summary>
public static class FraudServiceExtensions
{
    /// <summary>The model name: its folder in the repository, its OIP name and its metric tag.</summary>
    public const string ModelName = "fraud";

    public static IHostApplicationBuilder AddFraudModel(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<FraudServiceOptions>()
            .BindConfiguration(FraudServiceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, TabularContractsJsonContext.Default));
        return builder.AddModelServer(server => server.AddModel(ModelName, new FraudModelLoader()));
    }
}
