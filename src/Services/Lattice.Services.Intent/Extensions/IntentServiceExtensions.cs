using Lattice.Hosting;
using Lattice.Hosting.Text;

namespace Lattice.Services.Intent.Extensions;

/// <summary>Registers the intent model: <c>models/intent/&lt;version&gt;/model.lattice</c>, OIP and <c>POST /v1/intent</c>.</summary>
public static class IntentServiceExtensions
{
    /// <summary>The model name: its folder in the repository and its OIP name.</summary>
    public const string ModelName = "intent";

    /// <summary>The task every version must declare in its metadata.</summary>
    public const string Task = "intent-classification";

    public static IHostApplicationBuilder AddIntentModel(this IHostApplicationBuilder builder) =>
        builder.AddModelServer(server => server
            .AddModel(ModelName, new TextClassifierLoader(new TextClassifierServing { ExpectedTask = Task }))
            .WithTextClassificationApi());
}
