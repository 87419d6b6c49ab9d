using Lattice.Hosting.Models;
using Lattice.Hosting.Typed;
using Lattice.ML.ModelFiles;
using Lattice.ML.Recommendation;

namespace Lattice.Services.Recommender.Serving;

/// <summary>Loads <c>&lt;version&gt;/model.lattice</c> (task <c>recommendation</c>); a file of another kind is refused.</summary>
internal sealed class RecommenderModelLoader : IModelLoader
{
    public const string FileName = "model.lattice";

    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var file = ModelFile.Load(Path.Combine(source.Directory, FileName));
        return new RecommenderAdapter(RecommenderModel.FromModelFile(file));
    }
}

/// <summary>A loaded recommender; the warm-up probe runs each of its three calls once.</summary>
internal sealed class RecommenderAdapter(RecommenderModel model)
    : TypedModelAdapter<RecommenderModel>(model, "lattice_" + RecommenderModel.AlgorithmName, RecommenderModel.TaskName)
{
    protected override float Probe()
    {
        var user = Model.UserCount > 0 ? Model.Users[0] : "warm-up";
        var item = Model.ItemCount > 0 ? Model.Items[0] : "warm-up";
        Model.Recommend(user, 10);
        Model.SimilarItems(item, 10);
        return Model.PredictRating(user, item).Rating;
    }
}
