using Lattice.Hosting.Models;

namespace Lattice.Hosting.Typed;

/// <summary>A loaded version that also hands its model object to typed endpoints (<see cref="TypedModel{TModel}"/>).</summary>
/// <typeparam name="TModel">The model object the endpoints call: immutable and safe to use from many threads.</typeparam>
public interface IModelAdapter<out TModel> : IModelAdapter
    where TModel : class
{
    /// <summary>The loaded model.</summary>
    TModel Model { get; }
}

/// <summary>
/// An adapter for a model whose answers are not a fixed row of floats (a recommender's lists, a forecaster's series):
/// it is served through typed endpoints and its own tensor contract only. Its <see cref="IModelAdapter.Predict"/>
/// runs <see cref="Probe"/>, which is what the server's warm-up calls before the version takes traffic.
/// </summary>
public abstract class TypedModelAdapter<TModel> : IModelAdapter<TModel>
    where TModel : class
{
    protected TypedModelAdapter(TModel model, string platform, string task)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(platform);
        ArgumentException.ThrowIfNullOrWhiteSpace(task);
        Model = model;
        Signature = new ModelSignature
        {
            InputKind = ModelInputKind.Features,
            FeatureCount = 0,
            OutputWidth = 1,
            Platform = platform,
            Task = task,
        };
    }

    public TModel Model { get; }

    public ModelSignature Signature { get; }

    /// <summary>One representative call on the model (so the first request meets jitted code); returns a finite number.</summary>
    protected abstract float Probe();

    public void Predict(in ModelInput input, Span<float> output) => output[0] = Probe();

    public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs)
    {
        for (var i = 0; i < inputs.Length; i++)
        {
            outputs[i] = Probe();
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the model holds; the default holds nothing.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
