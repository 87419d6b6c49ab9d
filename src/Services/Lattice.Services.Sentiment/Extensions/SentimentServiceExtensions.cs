using Lattice.Hosting;
using Lattice.Hosting.Text;

namespace Lattice.Services.Sentiment.Extensions;

/// <summary>Registers the sentiment model: <c>models/sentiment/&lt;version&gt;/model.lattice</c>, OIP and <c>POST /v1/sentiment</c>.</summary>
public static class SentimentServiceExtensions
{
    /// <summary>The model name: its folder in the repository and its OIP name.</summary>
    public const string ModelName = "sentiment";

    /// <summary>The task every version must declare in its metadata.</summary>
    public const string Task = "sentiment-analysis";

    /// <summary>The default model is trained on SST-2, whose classes are 0 and 1; the API names them.</summary>
    public static readonly IReadOnlyDictionary<string, string> LabelNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["0"] = "negative",
        ["1"] = "positive",
    };

    public static IHostApplicationBuilder AddSentimentModel(this IHostApplicationBuilder builder) =>
        builder.AddModelServer(server => server
            .AddModel(ModelName, new TextClassifierLoader(new TextClassifierServing { ExpectedTask = Task, LabelNames = LabelNames }))
            .WithTextClassificationApi());
}
