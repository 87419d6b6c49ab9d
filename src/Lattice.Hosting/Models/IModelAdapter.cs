namespace Lattice.Hosting.Models;

/// <summary>One loaded, immutable version of a model, ready to predict from any thread.</summary>
/// <remarks>
/// The server owns batching, routing and limits; an adapter only scores. Both methods write
/// <see cref="ModelSignature.OutputWidth"/> floats per item (class probabilities for classifiers)
/// and must not allocate per call on their hot path.
/// </remarks>
public interface IModelAdapter : IDisposable
{
    /// <summary>What the model takes and returns.</summary>
    ModelSignature Signature { get; }

    /// <summary>Scores one item into <paramref name="output"/> (length <see cref="ModelSignature.OutputWidth"/>).</summary>
    void Predict(in ModelInput input, Span<float> output);

    /// <summary>Scores every item into <paramref name="outputs"/>, row-major <c>[inputs.Length, OutputWidth]</c>.</summary>
    void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs);
}

/// <summary>Loads one version directory of a model repository (<c>&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/</c>).</summary>
public interface IModelLoader
{
    /// <summary>
    /// Loads the version in <paramref name="source"/>. Throws when the files are missing or corrupt;
    /// the server then refuses that version and keeps serving the others.
    /// </summary>
    IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken);
}

/// <summary>Where a version lives on disk.</summary>
/// <param name="ModelName">The model's name (its folder name).</param>
/// <param name="Version">The version (its folder name).</param>
/// <param name="Directory">Full path of the version folder.</param>
public sealed record ModelVersionSource(string ModelName, string Version, string Directory);
