using System.Numerics.Tensors;

namespace Lattice.ML.Classification;

/// <summary>Trains multinomial logistic regression on sparse data with mini-batch AdaGrad, L2 and early stopping.</summary>
/// <remarks>Single-threaded on purpose: the result depends only on the data and the seed.</remarks>
internal static class SoftmaxRegressionTrainer
{
    private const float Epsilon = 1e-8f;

    /// <summary>Trains; with a validation set, stops when its log-loss has not improved for
    /// <see cref="SoftmaxRegressionOptions.Patience"/> epochs and returns the best epoch's weights.</summary>
    public static TrainingResult Train(SparseDataset train, SparseDataset? validation, SoftmaxRegressionOptions options, int? epochs = null)
    {
        options.Validate();
        var classes = train.ClassCount;
        var weights = new float[(long)train.FeatureCount * classes];
        var bias = new float[classes];
        var weightSquares = new float[weights.Length];
        var biasSquares = new float[classes];
        var state = new BatchState(train.FeatureCount, classes);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var random = new Random(options.Seed);
        var maxEpochs = epochs ?? options.MaxEpochs;
        var history = new List<EpochResult>();
        float[]? bestWeights = null;
        float[]? bestBias = null;
        var bestLoss = double.PositiveInfinity;
        var bestEpoch = maxEpochs;
        var sinceBest = 0;

        for (var epoch = 1; epoch <= maxEpochs; epoch++)
        {
            random.Shuffle(order);
            double trainLoss = 0;
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var batch = order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start));
                trainLoss += Step(train, batch, weights, bias, weightSquares, biasSquares, state, options);
            }

            var result = new EpochResult(epoch, trainLoss / train.Count, double.NaN, double.NaN);
            if (validation is not null)
            {
                var (loss, accuracy) = Evaluate(validation, weights, bias);
                result = result with { ValidationLoss = loss, ValidationAccuracy = accuracy };
                if (loss < bestLoss - 1e-6)
                {
                    bestLoss = loss;
                    bestEpoch = epoch;
                    sinceBest = 0;
                    bestWeights = (float[])weights.Clone();
                    bestBias = (float[])bias.Clone();
                }
                else if (++sinceBest >= options.Patience)
                {
                    history.Add(result);
                    break;
                }
            }

            history.Add(result);
        }

        var model = new DenseLinearModel(bestWeights ?? weights, bestBias ?? bias, 1f);
        return new TrainingResult(model, validation is null ? maxEpochs : bestEpoch, history);
    }

    private static double Step(SparseDataset data, ReadOnlySpan<int> batch, float[] weights, float[] bias,
        float[] weightSquares, float[] biasSquares, BatchState state, SoftmaxRegressionOptions options)
    {
        var classes = data.ClassCount;
        var scores = state.Scores;
        var biasGradient = state.BiasGradient;
        Array.Clear(biasGradient);
        var scale = 1f / batch.Length;
        double loss = 0;
        foreach (var example in batch)
        {
            var rows = data.RowsOf(example);
            var values = data.ValuesOf(example);
            Score(weights, bias, rows, values, scores);
            VectorMath.Softmax(scores, 1f, scores);
            var label = data.Labels[example];
            loss -= Math.Log(Math.Max(scores[label], 1e-12f));
            scores[label] -= 1f;
            TensorPrimitives.Multiply(scores, scale, scores);
            TensorPrimitives.Add(biasGradient, scores, biasGradient);
            for (var i = 0; i < rows.Length; i++)
            {
                var gradient = state.GradientOf(rows[i]);
                TensorPrimitives.MultiplyAdd(scores, values[i], gradient, gradient);
            }
        }

        var lr = options.LearningRate;
        var l2 = options.L2;
        var step = state.Step;
        for (var t = 0; t < state.TouchedCount; t++)
        {
            var row = state.Touched[t];
            var gradient = state.GradientAtSlot(t);
            var w = weights.AsSpan(row * classes, classes);
            var g2 = weightSquares.AsSpan(row * classes, classes);
            if (l2 > 0f)
            {
                TensorPrimitives.MultiplyAdd(w, l2, gradient, gradient);
            }

            AdaGrad(w, g2, gradient, step, lr);
        }

        AdaGrad(bias, biasSquares, biasGradient, step, lr);
        state.Reset();
        return loss;
    }

    private static void AdaGrad(Span<float> w, Span<float> squares, ReadOnlySpan<float> gradient, Span<float> step, float lr)
    {
        step = step[..w.Length];
        TensorPrimitives.MultiplyAdd(gradient, gradient, squares, squares);
        TensorPrimitives.Sqrt(squares, step);
        TensorPrimitives.Add(step, Epsilon, step);
        TensorPrimitives.Divide(gradient, step, step);
        TensorPrimitives.MultiplyAdd(step, -lr, w, w);
    }

    internal static void Score(float[] weights, float[] bias, ReadOnlySpan<int> rows, ReadOnlySpan<float> values, Span<float> scores)
    {
        var classes = bias.Length;
        bias.CopyTo(scores);
        for (var i = 0; i < rows.Length; i++)
        {
            TensorPrimitives.MultiplyAdd(weights.AsSpan(rows[i] * classes, classes), values[i], scores, scores);
        }
    }

    /// <summary>Mean log-loss and accuracy of raw weights on a dataset.</summary>
    internal static (double Loss, double Accuracy) Evaluate(SparseDataset data, float[] weights, float[] bias)
    {
        var scores = new float[bias.Length];
        double loss = 0;
        var correct = 0;
        for (var i = 0; i < data.Count; i++)
        {
            Score(weights, bias, data.RowsOf(i), data.ValuesOf(i), scores);
            VectorMath.Softmax(scores, 1f, scores);
            var label = data.Labels[i];
            loss -= Math.Log(Math.Max(scores[label], 1e-12f));
            if (TensorPrimitives.IndexOfMax<float>(scores) == label)
            {
                correct++;
            }
        }

        return (loss / Math.Max(1, data.Count), (double)correct / Math.Max(1, data.Count));
    }

    /// <summary>Gradient rows touched by the current batch, packed into slots so a batch costs what it touches.</summary>
    private sealed class BatchState(int features, int classes)
    {
        private readonly int[] _slotOf = CreateSlots(features);
        private float[] _gradients = new float[256 * classes];

        public float[] Scores { get; } = new float[classes];

        public float[] BiasGradient { get; } = new float[classes];

        public float[] Step { get; } = new float[classes];

        public int[] Touched { get; private set; } = new int[256];

        public int TouchedCount { get; private set; }

        public Span<float> GradientOf(int row)
        {
            var slot = _slotOf[row];
            if (slot < 0)
            {
                slot = TouchedCount++;
                if (slot == Touched.Length)
                {
                    var touched = Touched;
                    Array.Resize(ref touched, touched.Length * 2);
                    Touched = touched;
                    Array.Resize(ref _gradients, _gradients.Length * 2);
                }

                _slotOf[row] = slot;
                Touched[slot] = row;
                _gradients.AsSpan(slot * classes, classes).Clear();
            }

            return _gradients.AsSpan(slot * classes, classes);
        }

        public Span<float> GradientAtSlot(int slot) => _gradients.AsSpan(slot * classes, classes);

        public void Reset()
        {
            for (var t = 0; t < TouchedCount; t++)
            {
                _slotOf[Touched[t]] = -1;
            }

            TouchedCount = 0;
        }

        private static int[] CreateSlots(int features)
        {
            var slots = new int[features];
            slots.AsSpan().Fill(-1);
            return slots;
        }
    }
}

/// <summary>Validation figures after one epoch.</summary>
internal sealed record EpochResult(int Epoch, double TrainLoss, double ValidationLoss, double ValidationAccuracy);

/// <summary>A trained model, the epoch it was taken from and the per-epoch history.</summary>
internal sealed record TrainingResult(LinearModel Model, int BestEpoch, IReadOnlyList<EpochResult> History);
