using Lattice.Hosting.Models;
using Lattice.Hosting.Typed;
using Lattice.ML.Anomaly;
using Lattice.ML.ModelFiles;

namespace Lattice.Services.Fraud.Serving;

/// <summary>Loads <c>&lt;version&gt;/model.lattice</c> (task <c>fraud-scoring</c>); a file of another kind is refused.</summary>
internal sealed class FraudModelLoader : IModelLoader
{
    public const string FileName = "model.lattice";

    /// <summary>A transaction that exercises every part of the explained path once at load.</summary>
    private static readonly FraudTransaction WarmupTransaction = new(
        Amount: 120, Currency: "USD", MerchantCategory: "electronics", Country: "US", HomeCountry: "US", Hour: 14,
        CardAgeDays: 400, TransactionsLast24Hours: 2, DistanceFromHomeKm: 5, CardPresent: false, AverageAmount30Days: 80);

    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var file = ModelFile.Load(Path.Combine(source.Directory, FileName));
        var model = FraudModel.FromModelFile(file);
        var trees = GradientBoostedTrees.FromModelFile(file);
        model.Assess(WarmupTransaction);
        return new FraudAdapter(model, trees);
    }
}

/// <summary>
/// A loaded fraud model. To the model server it is a numeric model — the encoded transaction row
/// (<see cref="FraudSchema.EncodedWidth"/> features) in, the fraud probability out — so the generic Open Inference
/// Protocol path, micro-batching and warm-up apply as they are; the typed API calls <see cref="Model"/>.
/// </summary>
internal sealed class FraudAdapter(FraudModel model, GradientBoostedTrees trees) : IModelAdapter<FraudModel>
{
    public FraudModel Model => model;

    public ModelSignature Signature { get; } = new()
    {
        InputKind = ModelInputKind.Features,
        FeatureCount = FraudSchema.EncodedWidth,
        OutputWidth = 1,
        Platform = "lattice_" + GradientBoostedTrees.AlgorithmName,
        Task = FraudModel.TaskName,
    };

    public void Predict(in ModelInput input, Span<float> output) => output[0] = (float)trees.PredictProbability(input.Features.Span);

    public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs)
    {
        for (var i = 0; i < inputs.Length; i++)
        {
            outputs[i] = (float)trees.PredictProbability(inputs[i].Features.Span);
        }
    }

    public void Dispose()
    {
    }
}
