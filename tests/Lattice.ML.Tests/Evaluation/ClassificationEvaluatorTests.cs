using System.Text.Json;
using Lattice.ML.Evaluation;

namespace Lattice.ML.Tests.Evaluation;

public sealed class ClassificationEvaluatorTests
{
    [Fact]
    public void ToReport_KnownPredictions_GivesExpectedMetrics()
    {
        var sut = new ClassificationEvaluator(["a", "b"]);
        // actual a: predicted a, a, b; actual b: predicted b
        sut.Add(0, [0.9f, 0.1f]);
        sut.Add(0, [0.8f, 0.2f]);
        sut.Add(0, [0.4f, 0.6f]);
        sut.Add(1, [0.3f, 0.7f]);

        var report = sut.ToReport();

        Assert.Equal(4, report.Count);
        Assert.Equal(0.75, report.Accuracy, 6);
        Assert.Equal([2, 1], report.ConfusionMatrix[0]);
        Assert.Equal([0, 1], report.ConfusionMatrix[1]);
        Assert.Equal(1.0, report.PerClass[0].Precision, 6);
        Assert.Equal(2.0 / 3, report.PerClass[0].Recall, 6);
        Assert.Equal(0.5, report.PerClass[1].Precision, 6);
        Assert.Equal(1.0, report.PerClass[1].Recall, 6);
        Assert.Equal(((0.8) + (2.0 / 3)) / 2, report.MacroF1, 6);
        Assert.Equal((2.0 / 3 + 1) / 2, report.MacroRecall, 6);
    }

    [Fact]
    public void ToReport_PerfectlyCalibratedConfidence_HasZeroCalibrationError()
    {
        var sut = new ClassificationEvaluator(["a", "b"]);
        for (var i = 0; i < 10; i++)
        {
            // 0.7 confidence, right 7 times out of 10
            sut.Add(i < 7 ? 0 : 1, [0.7f, 0.3f]);
        }

        Assert.Equal(0, sut.ToReport().ExpectedCalibrationError, 5);
    }

    [Fact]
    public void ToReport_OverconfidentWrongAnswers_HasHighCalibrationError()
    {
        var sut = new ClassificationEvaluator(["a", "b"]);
        for (var i = 0; i < 10; i++)
        {
            sut.Add(1, [0.99f, 0.01f]);
        }

        Assert.True(sut.ToReport().ExpectedCalibrationError > 0.9);
    }

    [Fact]
    public void ToJson_Report_SerialisesCamelCase()
    {
        var sut = new ClassificationEvaluator(["x", "y"]);
        sut.Add(1, [0.2f, 0.8f]);

        using var json = JsonDocument.Parse(sut.ToReport().ToJson());

        Assert.Equal(1.0, json.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal("y", json.RootElement.GetProperty("perClass")[1].GetProperty("label").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("confusionMatrix").GetArrayLength());
    }

    [Fact]
    public void KFold_Indices_CoverEveryExampleOnceAsTest()
    {
        var sut = CrossValidation.KFold(103, 5, seed: 1);

        Assert.Equal(5, sut.Count);
        Assert.Equal(Enumerable.Range(0, 103), sut.SelectMany(f => f.Test).Order());
        Assert.All(sut, f => Assert.Equal(103, f.Train.Length + f.Test.Length));
        Assert.All(sut, f => Assert.Empty(f.Train.Intersect(f.Test)));
    }

    [Fact]
    public void Run_FoldReports_AreSummarised()
    {
        var data = Enumerable.Range(0, 20).ToList();

        var sut = CrossValidation.Run(data, 4, 3, (train, test) =>
        {
            var evaluator = new ClassificationEvaluator(["even", "odd"]);
            foreach (var x in test)
            {
                evaluator.Add(x % 2, x % 2 == 0 ? [1f, 0f] : [1f, 0f]);
            }

            return evaluator.ToReport();
        });

        Assert.Equal(4, sut.Folds.Count);
        Assert.Equal(0.5, sut.MeanAccuracy, 6);
    }
}
