using System.Diagnostics;
using Lattice.ML.Text;

namespace Lattice.Bench.Text;

internal static class Diag
{
    public static int Run(string modelPath)
    {
        var w = Stopwatch.StartNew();
        var c = Environment.CpuUsage.TotalTime;
        void Mark(string what)
        {
            Console.WriteLine($"{what} {w.Elapsed.TotalMilliseconds:F1} ms wall, {(Environment.CpuUsage.TotalTime - c).TotalMilliseconds:F1} ms cpu");
            w.Restart();
            c = Environment.CpuUsage.TotalTime;
        }

        var classifier = TextClassifier.Load(modelPath);
        Mark("load");
        classifier.PredictIndex("plain ascii text");
        Mark("ascii");
        _ = UnicodeMap.Instance;
        Mark("unicodemap");
        _ = System.Globalization.CharUnicodeInfo.GetUnicodeCategory('é');
        Mark("category");
        classifier.PredictIndex("crème brûlée");
        Mark("accents");
        classifier.PredictIndex("crème brûlée ça");
        Mark("accents2");
        return 0;
    }
}
