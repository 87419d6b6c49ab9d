using Lattice.Hosting;
using Lattice.Hosting.Text;

namespace Lattice.Services.Language.Extensions;

/// <summary>Registers the language model: <c>models/language/&lt;version&gt;/model.lattice</c>, OIP and <c>POST /v1/language</c>.</summary>
public static class LanguageServiceExtensions
{
    /// <summary>The model name: its folder in the repository and its OIP name.</summary>
    public const string ModelName = "language";

    /// <summary>The task every version must declare in its metadata.</summary>
    public const string Task = "language-identification";

    public static IHostApplicationBuilder AddLanguageModel(this IHostApplicationBuilder builder) =>
        builder.AddModelServer(server => server
            .AddModel(ModelName, new TextClassifierLoader(new TextClassifierServing { ExpectedTask = Task }))
            .WithTextClassificationApi());
}
