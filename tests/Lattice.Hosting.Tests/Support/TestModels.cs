using Lattice.Hosting.Models;
using Lattice.ML.ModelFiles;

namespace Lattice.Hosting.Tests.Support;

/// <summary>
/// Tiny deterministic models saved in the real model file format. The keyword classifier scores each label by
/// its bias plus 2 per occurrence of the label's name in the text, then applies a softmax; each version's bias
/// differs, so a response shows which version computed it.
/// </summary>
internal static class TestModels
{
    public static readonly string[] SentimentLabels = ["negative", "positive"];

    public static string WriteKeywordClassifier(string root, string model, string version, float[]? bias = null, string[]? labels = null)
    {
        labels ??= SentimentLabels;
        bias ??= new float[labels.Length];
        var path = Path.Combine(root, model, version, "model.lattice");
        new ModelFileWriter(new ModelMetadata
        {
            Name = model,
            Version = version,
            Task = "text-classification",
            Algorithm = "keyword-test",
            Labels = labels,
            CreatedAt = DateTimeOffset.UnixEpoch,
        }).Add("bias", bias.AsSpan()).Save(path);
        return path;
    }

    public static string WriteLinear(string root, string model, string version, float[,] weights)
    {
        var rows = weights.GetLength(0);
        var columns = weights.GetLength(1);
        var flat = new float[rows * columns];
        Buffer.BlockCopy(weights, 0, flat, 0, flat.Length * sizeof(float));
        var path = Path.Combine(root, model, version, "model.lattice");
        new ModelFileWriter(new ModelMetadata
        {
            Name = model,
            Version = version,
            Task = "regression",
            Algorithm = "linear-test",
            CreatedAt = DateTimeOffset.UnixEpoch,
        }).Add("weights", flat.AsSpan(), rows, columns).Save(path);
        return path;
    }

    /// <summary>Flips one byte in the middle of a model file: its checksum no longer matches.</summary>
    public static void Corrupt(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
    }
}

/// <summary>Blocks predictions of the text "block" until released: holds requests in flight on purpose.</summary>
internal sealed class Gate : IDisposable
{
    private readonly SemaphoreSlim _release = new(0);
    private readonly SemaphoreSlim _entered = new(0);

    public const string BlockingText = "block";

    /// <summary>A text the model holds until its caller hangs up (a cancellable operation), then stops.</summary>
    public const string HangUpText = "wait-for-hang-up";

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Enter()
    {
        _entered.Release();
        _release.Wait(TimeSpan.FromSeconds(30));
    }

    /// <summary>Enters, then waits (at most 30 s) for <paramref name="cancellationToken"/>; throws once it fires.</summary>
    public void HoldUntilCancelled(CancellationToken cancellationToken)
    {
        _entered.Release();
        if (cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(30)))
        {
            _stopped.TrySetResult();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public Task<bool> WaitEnteredAsync(CancellationToken cancellationToken) => _entered.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>True once a held call saw its cancellation (false after 30 s).</summary>
    public async Task<bool> WaitStoppedAsync(CancellationToken cancellationToken) =>
        await Task.WhenAny(_stopped.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken)) == _stopped.Task;

    public void Open(int count = 1000) => _release.Release(count);

    public void Dispose()
    {
        _release.Dispose();
        _entered.Dispose();
    }
}

internal sealed class KeywordClassifierLoader(Gate? gate = null, bool prefersBatching = false, string? explodingVersion = null) : IModelLoader
{
    public const string ExplodingText = "explode";

    /// <summary>The exploding version answers NaN for this text.</summary>
    public const string NonFiniteText = "non-finite";

    public List<int> BatchSizes { get; } = [];

    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken)
    {
        var file = ModelFile.Load(Path.Combine(source.Directory, "model.lattice"));
        return new KeywordClassifier(file.Metadata.Labels.ToArray(), file.ToArray<float>("bias"), gate, prefersBatching, BatchSizes,
            explodes: source.Version == explodingVersion);
    }

    private sealed class KeywordClassifier(string[] labels, float[] bias, Gate? gate, bool prefersBatching, List<int> batchSizes, bool explodes) : IModelAdapter
    {
        public ModelSignature Signature { get; } = new()
        {
            InputKind = ModelInputKind.Text,
            Labels = labels,
            OutputWidth = labels.Length,
            Platform = "lattice_keyword-test",
            Task = "text-classification",
            PrefersBatching = prefersBatching,
        };

        public void Predict(in ModelInput input, Span<float> output)
        {
            var text = input.Text.Span;
            if (gate is not null && text.SequenceEqual(Gate.BlockingText))
            {
                gate.Enter();
            }

            if (explodes && text.SequenceEqual(ExplodingText))
            {
                throw new InvalidOperationException("This version fails on purpose.");
            }

            if (explodes && text.SequenceEqual(NonFiniteText))
            {
                output.Fill(float.NaN);
                return;
            }

            var max = float.MinValue;
            for (var i = 0; i < labels.Length; i++)
            {
                output[i] = bias[i] + (2 * Count(text, labels[i]));
                max = Math.Max(max, output[i]);
            }

            var sum = 0f;
            for (var i = 0; i < labels.Length; i++)
            {
                output[i] = MathF.Exp(output[i] - max);
                sum += output[i];
            }

            for (var i = 0; i < labels.Length; i++)
            {
                output[i] /= sum;
            }
        }

        public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs)
        {
            lock (batchSizes)
            {
                batchSizes.Add(inputs.Length);
            }

            for (var i = 0; i < inputs.Length; i++)
            {
                Predict(inputs[i], outputs.Slice(i * labels.Length, labels.Length));
            }
        }

        private static int Count(ReadOnlySpan<char> text, string word)
        {
            var count = 0;
            for (var index = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); index >= 0; index = NextIndex(text, word, index, ref count))
            {
            }

            return count;
        }

        private static int NextIndex(ReadOnlySpan<char> text, string word, int index, ref int count)
        {
            count++;
            var next = text[(index + word.Length)..].IndexOf(word, StringComparison.OrdinalIgnoreCase);
            return next < 0 ? -1 : index + word.Length + next;
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>A linear model without labels: output = weights · features (generic FP32 output).</summary>
internal sealed class LinearLoader : IModelLoader
{
    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken)
    {
        var file = ModelFile.Load(Path.Combine(source.Directory, "model.lattice"));
        var section = file.GetSection("weights");
        return new Linear(file.ToArray<float>("weights"), (int)section.Shape[0], (int)section.Shape[1]);
    }

    private sealed class Linear(float[] weights, int rows, int columns) : IModelAdapter
    {
        public ModelSignature Signature { get; } = new()
        {
            InputKind = ModelInputKind.Features,
            FeatureCount = columns,
            OutputWidth = rows,
            Platform = "lattice_linear-test",
            Task = "regression",
        };

        public void Predict(in ModelInput input, Span<float> output)
        {
            var features = input.Features.Span;
            for (var r = 0; r < rows; r++)
            {
                var sum = 0f;
                for (var c = 0; c < columns; c++)
                {
                    sum += weights[(r * columns) + c] * features[c];
                }

                output[r] = sum;
            }
        }

        public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs)
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                Predict(inputs[i], outputs.Slice(i * rows, rows));
            }
        }

        public void Dispose()
        {
        }
    }
}
