namespace Lattice.ML.Classification;

/// <summary>Fits the softmax temperature that minimises log-loss on held-out data (Guo et al. 2017).</summary>
/// <remarks>One scalar, so it changes confidence but never the predicted class.</remarks>
internal static class TemperatureScaling
{
    public static float Fit(LinearModel model, SparseDataset heldOut)
    {
        if (heldOut.Count == 0)
        {
            return 1f;
        }

        var classes = model.ClassCount;
        var logits = new float[heldOut.Count * classes];
        for (var i = 0; i < heldOut.Count; i++)
        {
            model.Score(heldOut.RowsOf(i), heldOut.ValuesOf(i), logits.AsSpan(i * classes, classes));
        }

        // Golden-section search over log T in [ln 1/64, ln 64]; log-loss is unimodal in T.
        double lo = Math.Log(1.0 / 64), hi = Math.Log(64);
        var ratio = (Math.Sqrt(5) - 1) / 2;
        var a = hi - (ratio * (hi - lo));
        var b = lo + (ratio * (hi - lo));
        var fa = LogLoss(logits, heldOut.Labels, classes, Math.Exp(a));
        var fb = LogLoss(logits, heldOut.Labels, classes, Math.Exp(b));
        for (var iteration = 0; iteration < 40; iteration++)
        {
            if (fa < fb)
            {
                hi = b;
                b = a;
                fb = fa;
                a = hi - (ratio * (hi - lo));
                fa = LogLoss(logits, heldOut.Labels, classes, Math.Exp(a));
            }
            else
            {
                lo = a;
                a = b;
                fa = fb;
                b = lo + (ratio * (hi - lo));
                fb = LogLoss(logits, heldOut.Labels, classes, Math.Exp(b));
            }
        }

        return (float)Math.Exp((lo + hi) / 2);
    }

    private static double LogLoss(float[] logits, int[] labels, int classes, double temperature)
    {
        double total = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            double max = double.NegativeInfinity;
            foreach (var v in row)
            {
                max = Math.Max(max, v / temperature);
            }

            double sum = 0;
            foreach (var v in row)
            {
                sum += Math.Exp((v / temperature) - max);
            }

            total -= (row[labels[i]] / temperature) - max - Math.Log(sum);
        }

        return total / labels.Length;
    }
}
