using Lattice.ML.Text;

namespace Lattice.Bench.Text;

/// <summary>Splits prediction time into featurisation, encoding and scoring (for tuning).</summary>
internal static class Profile
{
    /// <summary>Process CPU time, less disturbed than wall time on a shared machine.</summary>
    private sealed class CpuWatch
    {
        private TimeSpan _start = Environment.CpuUsage.TotalTime;

        public double Milliseconds => (Environment.CpuUsage.TotalTime - _start).TotalMilliseconds;

        public void Restart() => _start = Environment.CpuUsage.TotalTime;
    }

    public static int Run(string modelPath, string inputPath)
    {
        var classifier = TextClassifier.Load(modelPath);
        var lines = File.ReadAllLines(inputPath);
        var scratch = new FeatureScratch();
        var scores = new float[classifier.ClassCount];
        if (classifier.Model is Lattice.ML.Classification.SparseLinearModel sparse)
        {
            var histogram = new long[8];
            long total = 0, nnzSum = 0;
            foreach (var line in lines)
            {
                classifier.Featurizer.Extract(line, scratch);
                classifier.Space.Encode(scratch);
                for (var i = 0; i < scratch.Length; i++)
                {
                    var nnz = sparse.RowStart[scratch.Rows[i] + 1] - sparse.RowStart[scratch.Rows[i]];
                    nnzSum += nnz;
                    total++;
                    histogram[Math.Min(7, System.Numerics.BitOperations.Log2((uint)nnz + 1))]++;
                }
            }

            Console.WriteLine($"mean nnz per occurrence {nnzSum / (double)total:F1}; log2 histogram {string.Join(" ", histogram.Select(h => (h * 100.0 / total).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}");
        }

        for (var round = 0; round < 6; round++)
        {
            var watch = new CpuWatch();
            long features = 0;
            foreach (var line in lines)
            {
                classifier.Featurizer.Extract(line, scratch);
                features += scratch.BucketCount;
            }

            var extract = watch.Milliseconds;
            watch.Restart();
            long rows = 0;
            foreach (var line in lines)
            {
                classifier.Featurizer.Extract(line, scratch);
                classifier.Space.Encode(scratch);
                rows += scratch.Length;
            }

            var encode = watch.Milliseconds;
            watch.Restart();
            foreach (var line in lines)
            {
                classifier.Featurizer.Extract(line, scratch);
                classifier.Space.Encode(scratch, rawCounts: true);
            }

            var raw = watch.Milliseconds;
            watch.Restart();
            foreach (var line in lines)
            {
                classifier.Predict(line, scores);
            }

            var full = watch.Milliseconds;
            Console.WriteLine($"extract {extract:F0} ms, +encode {encode:F0} ms (raw {raw:F0}), full {full:F0} ms; {features / (double)lines.Length:F0} features, {rows / (double)lines.Length:F0} rows per text; {lines.Length / full * 1000:F0}/s");
        }

        return 0;
    }
}
