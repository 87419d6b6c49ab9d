using Lattice.Hosting;
using Lattice.Hosting.Text;

namespace Lattice.Services.Spam.Extensions;

/// <summary>Registers the spam model: <c>models/spam/&lt;version&gt;/model.lattice</c>, OIP and <c>POST /v1/spam</c>.</summary>
public static class SpamServiceExtensions
{
    /// <summary>The model name: its folder in the repository and its OIP name.</summary>
    public const string ModelName = "spam";

    /// <summary>The task every version must declare in its metadata.</summary>
    public const string Task = "spam-detection";

    public static IHostApplicationBuilder AddSpamModel(this IHostApplicationBuilder builder) =>
        builder.AddModelServer(server => server
            .AddModel(ModelName, new TextClassifierLoader(new TextClassifierServing { ExpectedTask = Task }))
            .WithTextClassificationApi());
}
