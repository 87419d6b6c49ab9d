using Lattice.ML.ModelFiles;
using Lattice.ML.Recommendation;

namespace Lattice.ML.Tests.Recommendation;

public sealed class RecommenderModelTests
{
    private static readonly Lazy<(RecommenderModel Model, IReadOnlyList<Rating> Ratings)> Trained = new(() =>
    {
        var ratings = RecommenderDemoData.Generate(120, 80, seed: 11);
        return (RecommenderTrainer.Train(ratings, new RecommenderOptions { Epochs = 10 }), ratings);
    });

    [Fact]
    public void Recommend_KnownUser_ExcludesSeenItemsBestFirst()
    {
        var (sut, ratings) = Trained.Value;
        var seen = ratings.Where(r => r.User == "user-0001").Select(r => r.Item).ToHashSet();

        var result = sut.Recommend("user-0001", 10);

        Assert.Equal(RecommendationSource.Model, result.Source);
        Assert.Equal(10, result.Items.Count);
        Assert.DoesNotContain(result.Items, i => seen.Contains(i.Item));
        Assert.Equal(result.Items.OrderByDescending(i => i.Score).Select(i => i.Item), result.Items.Select(i => i.Item));
        Assert.Equal(10, result.Items.Select(i => i.Item).Distinct().Count());
    }

    [Fact]
    public void Recommend_UnknownUser_FallsBackToMostRatedItems()
    {
        var (sut, ratings) = Trained.Value;
        var mostRated = ratings.GroupBy(r => r.Item).MaxBy(g => g.Count())!.Key;

        var result = sut.Recommend("nobody", 5);

        Assert.Equal(RecommendationSource.Fallback, result.Source);
        Assert.Equal(mostRated, result.Items[0].Item);
        Assert.Equal(5, result.Items.Count);
    }

    [Fact]
    public void Recommend_KMoreThanItems_ReturnsOnlyUnseenItems()
    {
        var (sut, ratings) = Trained.Value;
        var seen = ratings.Where(r => r.User == "user-0002").Select(r => r.Item).Distinct().Count();

        var result = sut.Recommend("user-0002", RecommenderModel.MaxResults);

        Assert.Equal(sut.ItemCount - seen, result.Items.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(RecommenderModel.MaxResults + 1)]
    public void Recommend_KOutOfRange_Throws(int k) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Trained.Value.Model.Recommend("user-0001", k));

    [Fact]
    public void SimilarItems_KnownItem_ExcludesItselfBestFirst()
    {
        var sut = Trained.Value.Model;

        var result = sut.SimilarItems("item-0003", 8);

        Assert.Equal(RecommendationSource.Model, result.Source);
        Assert.Equal(8, result.Items.Count);
        Assert.DoesNotContain(result.Items, i => i.Item == "item-0003");
        Assert.True(result.Items.Zip(result.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public void SimilarItems_UnknownItem_FallsBackToPopularity()
    {
        var result = Trained.Value.Model.SimilarItems("no-such-item", 3);

        Assert.Equal(RecommendationSource.Fallback, result.Source);
        Assert.Equal(3, result.Items.Count);
    }

    [Fact]
    public void PredictRating_UnknownUserAndItem_ReturnsBiasWithinScale()
    {
        var sut = Trained.Value.Model;

        var both = sut.PredictRating("nobody", "nothing");
        var itemOnly = sut.PredictRating("nobody", "item-0001");

        Assert.Equal(RecommendationSource.Fallback, both.Source);
        Assert.Equal(sut.GlobalMean, both.Rating, 4);
        Assert.True(itemOnly.KnownItem && !itemOnly.KnownUser);
        Assert.InRange(itemOnly.Rating, sut.MinRating, sut.MaxRating);
    }

    [Fact]
    public void PredictRating_KnownPair_ClippedToRatingScale()
    {
        var sut = Trained.Value.Model;

        foreach (var user in sut.Users.Take(20))
        {
            foreach (var item in sut.Items.Take(20))
            {
                var prediction = sut.PredictRating(user, item);
                Assert.Equal(RecommendationSource.Model, prediction.Source);
                Assert.InRange(prediction.Rating, 1f, 5f);
            }
        }
    }

    [Theory]
    [InlineData(RecommenderAlgorithm.Blend)]
    [InlineData(RecommenderAlgorithm.Svd)]
    [InlineData(RecommenderAlgorithm.Baseline)]
    public void FromModelFile_RoundTrip_SameAnswers(RecommenderAlgorithm algorithm)
    {
        var ratings = RecommenderDemoData.Generate(60, 40, seed: 2);
        var model = RecommenderTrainer.Train(ratings, new RecommenderOptions { Algorithm = algorithm, Epochs = 3 });

        var sut = RecommenderModel.FromModelFile(TabularTestData.RoundTrip(model.ToModelFile(TabularTestData.Metadata("rec"))));

        Assert.Equal(algorithm, sut.Algorithm);
        Assert.Equal(model.PredictRating("user-0003", "item-0004"), sut.PredictRating("user-0003", "item-0004"));
        Assert.Equal(model.Recommend("user-0005", 5).Items, sut.Recommend("user-0005", 5).Items);
        Assert.Equal(model.SimilarItems("item-0002", 5).Items, sut.SimilarItems("item-0002", 5).Items);
    }

    [Fact]
    public void FromModelFile_OtherAlgorithm_ThrowsModelFileException()
    {
        var writer = new ModelFileWriter(TabularTestData.Metadata("x") with { Algorithm = "softmax-regression", Task = "text" });
        writer.Add<float>("weights", [1f]);

        var ex = Assert.Throws<ModelFileException>(() => RecommenderModel.FromModelFile(TabularTestData.RoundTrip(writer)));
        Assert.Contains("lattice-recommender", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedDemoModel_Loads_AndRecommends()
    {
        var sut = RecommenderModel.FromModelFile(ModelFile.Load(TabularTestData.ShippedModel("recommender")));

        var result = sut.Recommend("user-0001", 10);

        Assert.Equal(RecommendationSource.Model, result.Source);
        Assert.Equal(10, result.Items.Count);
    }
}
