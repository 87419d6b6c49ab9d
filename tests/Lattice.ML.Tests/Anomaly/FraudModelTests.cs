using Lattice.ML.Anomaly;
using Lattice.ML.ModelFiles;
using Lattice.ML.Tests.Recommendation;

namespace Lattice.ML.Tests.Anomaly;

public sealed class FraudModelTests
{
    private static readonly Lazy<FraudModel> Trained = new(() => FraudModel.Train(FraudDemoData.Generate(6_000, seed: 21), new GradientBoostingOptions { LearningRate = 0.1 }));

    private static FraudTransaction Ordinary() => new(
        Amount: 42.5, Currency: "EUR", MerchantCategory: "grocery", Country: "DE", HomeCountry: "DE", Hour: 11,
        CardAgeDays: 900, TransactionsLast24Hours: 2, DistanceFromHomeKm: 3.2, CardPresent: true, AverageAmount30Days: 55);

    [Fact]
    public void Train_DemoData_HighRocAucOnFreshData()
    {
        var test = FraudDemoData.Generate(4_000, seed: 22);

        var scores = test.Select(t => Trained.Value.Score(t.Transaction).Probability).ToArray();

        Assert.True(BinaryClassificationMetrics.RocAuc(scores, test.Select(t => t.IsFraud).ToArray()) > 0.97);
    }

    [Fact]
    public void Assess_StolenCardPattern_FlaggedWithAmountAmongTopFeatures()
    {
        var sut = Trained.Value;
        var stolen = Ordinary() with
        {
            Amount = 2_400, MerchantCategory = "electronics", Country = "XA", Hour = 3, TransactionsLast24Hours = 9,
            DistanceFromHomeKm = 4_000, CardPresent = false,
        };

        var risky = sut.Assess(stolen);
        var normal = sut.Assess(Ordinary());

        Assert.True(risky.IsFraud, $"p = {risky.Probability}");
        Assert.False(normal.IsFraud, $"p = {normal.Probability}");
        Assert.Equal(3, risky.TopFeatures.Count);
        Assert.True(risky.TopFeatures.Zip(risky.TopFeatures.Skip(1)).All(p => Math.Abs(p.First.Contribution) >= Math.Abs(p.Second.Contribution)));
        Assert.All(risky.TopFeatures, f => Assert.Contains(f.Feature, FraudModel.FeatureNames));
    }

    [Fact]
    public void Score_Contributions_SumToLogOddsMinusBias()
    {
        var sut = Trained.Value;
        var contributions = new double[FraudModel.FeatureNames.Count];
        var transaction = Ordinary() with { Amount = 700, CardAgeDays = 3 };

        var score = sut.Score(transaction, contributions);

        Assert.Equal(score, sut.Score(transaction));
        Assert.Equal(score.LogOdds, sut.Trees.ExpectedRawScore + contributions.Sum(), 4);
        Assert.Equal(1 / (1 + Math.Exp(-score.LogOdds)), score.Probability, 9);
    }

    public static TheoryData<FraudTransaction> InvalidTransactions() =>
    [
        Ordinary() with { Amount = double.NaN },
        Ordinary() with { Amount = double.PositiveInfinity },
        Ordinary() with { Amount = -5 },
        Ordinary() with { Currency = "XYZ" },
        Ordinary() with { Hour = 24 },
        Ordinary() with { Country = "Germany" },
        Ordinary() with { CardAgeDays = -1 },
        Ordinary() with { DistanceFromHomeKm = double.NaN },
        Ordinary() with { AverageAmount30Days = double.NegativeInfinity },
        Ordinary() with { Amount = 1e12 },
        Ordinary() with { AverageAmount30Days = 1e-40 },
    ];

    [Theory]
    [MemberData(nameof(InvalidTransactions))]
    public void Score_InvalidTransaction_ThrowsArgumentException(FraudTransaction transaction)
    {
        var contributions = new double[FraudModel.FeatureNames.Count];

        Assert.Throws<ArgumentException>(() => Trained.Value.Score(transaction, contributions));
        Assert.Throws<ArgumentException>(() => Trained.Value.Score(transaction));
        Assert.NotNull(FraudSchema.Validate(transaction));
    }

    [Fact]
    public void Score_UnknownMerchantCategory_CountsAsOther()
    {
        var contributions = new double[FraudModel.FeatureNames.Count];

        var unknown = Trained.Value.Score(Ordinary() with { MerchantCategory = "llama rental" }, contributions);
        var other = Trained.Value.Score(Ordinary() with { MerchantCategory = "other" }, contributions);

        Assert.Equal(other, unknown);
    }

    [Fact]
    public void FromModelFile_RoundTrip_SameScoreAndThreshold()
    {
        var model = Trained.Value;

        var sut = FraudModel.FromModelFile(TabularTestData.RoundTrip(model.ToModelFile(TabularTestData.Metadata("fraud"))));

        Assert.Equal(model.DefaultThreshold, sut.DefaultThreshold);
        Assert.Equal(model.Assess(Ordinary()), sut.Assess(Ordinary()), new AssessmentComparer());
    }

    [Fact]
    public void ShippedDemoModel_Loads_AndScoresWithinRange()
    {
        var file = ModelFile.Load(TabularTestData.ShippedModel("fraud"));

        var sut = FraudModel.FromModelFile(file);
        var assessment = sut.Assess(Ordinary());

        Assert.Equal(FraudModel.TaskName, file.Metadata.Task);
        Assert.InRange(assessment.Probability, 0, 1);
        Assert.False(assessment.IsFraud);
    }

    [Fact]
    public void Generate_SameSeed_SameTransactions() =>
        Assert.Equal(FraudDemoData.Generate(200, 5), FraudDemoData.Generate(200, 5));

    private sealed class AssessmentComparer : IEqualityComparer<FraudAssessment>
    {
        public bool Equals(FraudAssessment? x, FraudAssessment? y) =>
            x is not null && y is not null && x.Probability == y.Probability && x.IsFraud == y.IsFraud && x.TopFeatures.SequenceEqual(y.TopFeatures);

        public int GetHashCode(FraudAssessment obj) => obj.Probability.GetHashCode();
    }
}
