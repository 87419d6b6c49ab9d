using Lattice.ML.Recommendation;

namespace Lattice.ML.Tests.Recommendation;

public sealed class RecommenderEvaluationTests
{
    [Fact]
    public void Errors_ConstantModel_KnownRmseAndMae()
    {
        // The global mean is 3 and the test pairs are unknown, so both predictions are 3: errors 1 and 2.
        Rating[] train = [new("a", "x", 3), new("b", "y", 3), new("a", "y", 3), new("c", "z", 3), new("c", "x", 1), new("c", "y", 5)];
        var model = RecommenderTrainer.Train(train, new RecommenderOptions { Algorithm = RecommenderAlgorithm.Baseline });

        var sut = RecommenderEvaluation.Errors(model, [new("nobody", "none", 4), new("nobody", "none", 5)]);

        Assert.Equal(Math.Sqrt(2.5), sut.Rmse, 5);
        Assert.Equal(1.5, sut.Mae, 5);
    }

    [Fact]
    public void Ranking_UnknownUsersGetPopularItems_KnownPrecisionRecallNdcg()
    {
        // Popularity order: x (3 ratings), y (2), z (1). A new user who likes y only: hit at rank 2 of 2.
        Rating[] train = [new("a", "x", 4), new("b", "x", 4), new("c", "x", 4), new("a", "y", 4), new("b", "y", 4), new("a", "z", 4)];
        var model = RecommenderTrainer.Train(train, new RecommenderOptions { Algorithm = RecommenderAlgorithm.Baseline });

        var sut = RecommenderEvaluation.Ranking(model, [new("new", "y", 5), new("new", "z", 2)], k: 2);

        Assert.Equal(1, sut.Users);
        Assert.Equal(0.5, sut.Precision, 6);
        Assert.Equal(1.0, sut.Recall, 6);
        Assert.Equal(1 / Math.Log2(3), sut.Ndcg, 6);
    }
}
