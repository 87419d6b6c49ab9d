using Lattice.ML.Classification;
using Lattice.ML.Datasets;
using Lattice.ML.ModelFiles;
using Lattice.ML.Tests.TestSupport;
using Lattice.ML.Text;

namespace Lattice.ML.Tests.Text;

public sealed class TextClassifierTests
{
    private static readonly Lazy<TextClassifier> SpamModel = new(() =>
        TextClassifierTrainer.Train(TestData.Spam.Train, TestData.Spam.Labels, TextTaskPresets.For("spam")).Classifier);

    [Fact]
    public void Train_SpamPublishedSplit_ReachesFloorOnHeldOutTest()
    {
        var report = TextClassifierEvaluation.Evaluate(SpamModel.Value, TestData.Spam.Test);

        Assert.True(report.Accuracy >= 0.975, $"accuracy {report.Accuracy:P2}");
        Assert.True(report.MacroF1 >= 0.94, $"macro-F1 {report.MacroF1:P2}");
        Assert.True(report.ExpectedCalibrationError <= 0.03, $"ECE {report.ExpectedCalibrationError:F4}");
    }

    [Fact]
    public void Train_Sst2Sentences_ReachesFloorOnTest()
    {
        var data = TestData.Sst2Sentences;
        var sut = TextClassifierTrainer.Train(data.Train, data.Labels, TextTaskPresets.For("sentiment"), validation: data.Validation).Classifier;

        var report = TextClassifierEvaluation.Evaluate(sut, data.Test);

        Assert.True(report.Accuracy >= 0.77, $"accuracy {report.Accuracy:P2}");
    }

    [Fact]
    public void Train_NaiveBayesOnUdhrSubset_IdentifiesLinguaSentences()
    {
        string[] languages = ["de", "en", "es", "fi", "fr", "ru", "ja", "ar"];
        var data = TestData.Language;
        var train = data.Train.Where(e => languages.Contains(e.Label)).ToList();
        var test = TestData.EveryNth(data.Test.Where(e => languages.Contains(e.Label)).ToList(), 10);
        var options = TextTaskPresets.For("language") with { Featurizer = TextTaskPresets.For("language").Featurizer with { Buckets = 1 << 16 } };

        var sut = TextClassifierTrainer.Train(train, languages, options).Classifier;
        var report = TextClassifierEvaluation.Evaluate(sut, test);

        Assert.True(report.MacroRecall >= 0.95, $"mean class accuracy {report.MacroRecall:P2}");
    }

    [Fact]
    public void Train_SameSeed_GivesIdenticalModelFiles()
    {
        var data = TestData.EveryNth(TestData.Spam.Train, 3);
        var clock = new FixedTimeProvider(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var options = TextTaskPresets.For("spam") with { Featurizer = TextTaskPresets.For("spam").Featurizer with { Buckets = 1 << 14 } };

        var first = TextClassifierTrainer.Train(data, TestData.Spam.Labels, options, timeProvider: clock).Classifier.ToModelFile().ToArray();
        var second = TextClassifierTrainer.Train(data, TestData.Spam.Labels, options, timeProvider: clock).Classifier.ToModelFile().ToArray();

        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData(WeightPrecision.Float32)]
    [InlineData(WeightPrecision.Float16)]
    [InlineData(WeightPrecision.Int8)]
    public void Save_ThenLoad_PredictsExactlyTheSame(WeightPrecision precision)
    {
        var data = TestData.EveryNth(TestData.Spam.Train, 2);
        var options = TextTaskPresets.For("spam") with { WeightPrecision = precision };
        var trained = TextClassifierTrainer.Train(data, TestData.Spam.Labels, options).Classifier;
        var path = Path.Combine(Path.GetTempPath(), $"lattice-{Guid.NewGuid():N}.lattice");
        try
        {
            trained.Save(path);
            var sut = TextClassifier.Load(path);

            Assert.Equal(trained.Metadata.Labels, sut.Metadata.Labels);
            Assert.Equal(trained.Metadata.FeaturizerJson, sut.Metadata.FeaturizerJson);
            var expected = new float[2];
            var actual = new float[2];
            foreach (var example in TestData.EveryNth(TestData.Spam.Test, 5))
            {
                trained.Predict(example.Text, expected);
                sut.Predict(example.Text, actual);
                Assert.Equal(expected, actual);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Save_NaiveBayesModel_RoundTripsExactly()
    {
        var data = TestData.Language;
        string[] languages = ["nl", "af", "de"];
        var trained = TextClassifierTrainer.Train(data.Train.Where(e => languages.Contains(e.Label)).ToList(), languages, TextTaskPresets.For("language")).Classifier;

        var sut = TextClassifier.FromModelFile(ModelFile.Read(trained.ToModelFile().ToArray()));

        var expected = new float[3];
        var actual = new float[3];
        foreach (var text in new[] { "Dit is 'n toets", "Dit is een test", "Das ist ein Test", "" })
        {
            Assert.Equal(trained.Predict(text, expected), sut.Predict(text, actual));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Load_CorruptFile_IsRefusedWithClearMessage()
    {
        var bytes = SpamModel.Value.ToModelFile().ToArray();
        bytes[bytes.Length / 2] ^= 0x01;
        var path = Path.Combine(Path.GetTempPath(), $"lattice-{Guid.NewGuid():N}.lattice");
        File.WriteAllBytes(path, bytes);
        try
        {
            var ex = Assert.Throws<ModelFileException>(() => TextClassifier.Load(path));

            Assert.Equal(ModelFileError.ChecksumMismatch, ex.Error);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_TruncatedFile_IsRefused()
    {
        var bytes = SpamModel.Value.ToModelFile().ToArray();

        var ex = Assert.Throws<ModelFileException>(() => TextClassifier.FromModelFile(ModelFile.Read(bytes[..(bytes.Length - 100)])));

        Assert.Equal(ModelFileError.Truncated, ex.Error);
    }

    [Fact]
    public void FromModelFile_UnknownFeaturizerSetting_IsRefused()
    {
        var model = SpamModel.Value;
        var featurizer = model.Metadata.FeaturizerJson!.Replace("}", ",\"stemming\":true}", StringComparison.Ordinal);
        var bytes = model.WithMetadata(model.Metadata with { FeaturizerJson = featurizer }).ToModelFile().ToArray();

        var ex = Assert.Throws<ModelFileException>(() => TextClassifier.FromModelFile(ModelFile.Read(bytes)));

        Assert.Contains("stemming", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromModelFile_OtherAlgorithm_IsRefused()
    {
        var model = SpamModel.Value;
        var bytes = model.WithMetadata(model.Metadata with { Algorithm = "isolation-forest" }).ToModelFile().ToArray();

        var ex = Assert.Throws<ModelFileException>(() => TextClassifier.FromModelFile(ModelFile.Read(bytes)));

        Assert.Contains("isolation-forest", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_SteadyState_AllocatesNothing()
    {
        var sut = SpamModel.Value;
        var probabilities = new float[sut.ClassCount];
        var texts = TestData.EveryNth(TestData.Spam.Test, 50).Select(e => e.Text).Append("😀 ünïcödé ＦＵＬＬ").ToArray();
        foreach (var text in texts)
        {
            sut.Predict(text, probabilities);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var text in texts)
        {
            sut.Predict(text, probabilities);
            sut.PredictIndex(text);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Predict_ProbabilitiesSumToOne()
    {
        var sut = SpamModel.Value;
        var probabilities = new float[sut.ClassCount];

        var index = sut.Predict("WINNER!! Claim your free prize now, call 09061701461", probabilities);

        Assert.Equal("spam", sut.Labels[index]);
        Assert.Equal(1f, probabilities.Sum(), 3);
    }

    [Fact]
    public void Predict_BufferTooSmall_Throws()
    {
        var sut = SpamModel.Value;

        Assert.Throws<ArgumentException>(() => sut.Predict("hello", new float[1]));
    }

    [Fact]
    public void PredictBatch_MatchesSinglePredictions()
    {
        var sut = SpamModel.Value;
        var texts = TestData.EveryNth(TestData.Spam.Test, 100).Select(e => e.Text).ToArray();
        var probabilities = new float[texts.Length * sut.ClassCount];
        var predicted = new int[texts.Length];

        sut.PredictBatch(texts, probabilities, predicted);

        var single = new float[sut.ClassCount];
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(sut.Predict(texts[i], single), predicted[i]);
            Assert.Equal(single, probabilities.AsSpan(i * sut.ClassCount, sut.ClassCount).ToArray());
        }
    }

    [Fact]
    public void Predict_ManyThreads_GivesTheSameResultsAsOneThread()
    {
        var sut = SpamModel.Value;
        var texts = TestData.Spam.Test.Select(e => e.Text).ToArray();
        var expected = texts.Select(t => sut.PredictIndex(t)).ToArray();
        var actual = new int[texts.Length];

        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = sut.PredictIndex(texts[i]));

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Train_UnknownLabel_Throws()
    {
        List<LabeledText> data = [new("a", "x"), new("b", "y"), new("c", "z")];

        Assert.Throws<ArgumentException>(() => TextClassifierTrainer.Train(data, ["x", "y"], new TextClassifierTrainingOptions()));
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
