using Lattice.Hosting.Models;
using Lattice.Hosting.Repository;
using Lattice.Hosting.Routing;

namespace Lattice.Hosting.Tests.Routing;

/// <summary>The router is tested directly: 10,000 routed requests per case, no HTTP.</summary>
public sealed class TrafficRouterTests
{
    private const int Requests = 10_000;

    // Binomial standard deviation at p = 0.5 over 10,000 draws is 0.5 percentage points; 2 points is four of them.
    private const double Tolerance = 0.02;

    private static ModelSnapshot Snapshot(params string[] versions) =>
        new(versions.Select(v => new LoadedVersion("m", v, new StubAdapter(), "f", batcher: null)));

    private static TrafficPolicyOptions Policy(params (string Version, double Weight)[] weights)
    {
        var policy = new TrafficPolicyOptions();
        foreach (var (version, weight) in weights)
        {
            policy.Weights[version] = weight;
        }

        return policy;
    }

    private static Dictionary<string, double> Shares(Func<int, string> route)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < Requests; i++)
        {
            var version = route(i);
            counts[version] = counts.GetValueOrDefault(version) + 1;
        }

        return counts.ToDictionary(c => c.Key, c => c.Value / (double)Requests);
    }

    [Fact]
    public void Select_NoPolicy_ReturnsHighestVersion()
    {
        var sut = new TrafficRouter(new Random(1));
        var plan = RoutePlan.Build(Snapshot("1", "2", "10"), null);

        var chosen = sut.Select(plan, null, out var reason);

        Assert.Equal("10", chosen!.Version);
        Assert.Equal(RouteReason.Default, reason);
    }

    [Fact]
    public void Select_DefaultVersionConfigured_ReturnsIt()
    {
        var sut = new TrafficRouter(new Random(1));
        var plan = RoutePlan.Build(Snapshot("1", "2"), new TrafficPolicyOptions { DefaultVersion = "1" });

        Assert.Equal("1", sut.Select(plan, "any-key", out _)!.Version);
    }

    [Fact]
    public void Select_DefaultVersionNotLoaded_FallsBackToHighest()
    {
        var sut = new TrafficRouter(new Random(1));
        var plan = RoutePlan.Build(Snapshot("1", "2"), new TrafficPolicyOptions { DefaultVersion = "7" });

        Assert.Equal("2", sut.Select(plan, null, out _)!.Version);
    }

    [Fact]
    public void Select_NothingLoaded_ReturnsNull()
    {
        var sut = new TrafficRouter(new Random(1));

        Assert.Null(sut.Select(RoutePlan.Build(Snapshot(), Policy(("1", 1))), null, out _));
    }

    [Theory]
    [InlineData(90, 10)]
    [InlineData(50, 50)]
    [InlineData(99, 1)]
    public void Select_WeightedSplit_MatchesWeightsWithinTolerance(double first, double second)
    {
        var sut = new TrafficRouter(new Random(42));
        var plan = RoutePlan.Build(Snapshot("1", "2"), Policy(("1", first), ("2", second)));

        var shares = Shares(i => sut.Select(plan, null, out _)!.Version);

        Assert.InRange(shares.GetValueOrDefault("1"), (first / 100) - Tolerance, (first / 100) + Tolerance);
        Assert.InRange(shares.GetValueOrDefault("2"), (second / 100) - Tolerance, (second / 100) + Tolerance);
    }

    [Fact]
    public void Select_ThreeWaySplit_MatchesWeightsWithinTolerance()
    {
        var sut = new TrafficRouter(new Random(7));
        var plan = RoutePlan.Build(Snapshot("1", "2", "3"), Policy(("1", 6), ("2", 3), ("3", 1)));

        var shares = Shares(i => sut.Select(plan, null, out _)!.Version);

        Assert.InRange(shares["1"], 0.6 - Tolerance, 0.6 + Tolerance);
        Assert.InRange(shares["2"], 0.3 - Tolerance, 0.3 + Tolerance);
        Assert.InRange(shares["3"], 0.1 - Tolerance, 0.1 + Tolerance);
    }

    [Fact]
    public void Select_WeightOnUnloadedVersion_RenormalisesOverLoadedOnes()
    {
        var sut = new TrafficRouter(new Random(3));
        var plan = RoutePlan.Build(Snapshot("1", "2"), Policy(("1", 1), ("2", 1), ("3", 2)));

        var shares = Shares(i => sut.Select(plan, null, out _)!.Version);

        Assert.Equal(["1", "2"], shares.Keys.Order());
        Assert.InRange(shares["1"], 0.5 - Tolerance, 0.5 + Tolerance);
    }

    [Fact]
    public void Select_StickyKeys_SpreadByWeightWithinTolerance()
    {
        var sut = new TrafficRouter(new Random(5));
        var plan = RoutePlan.Build(Snapshot("1", "2"), Policy(("1", 80), ("2", 20)));

        var shares = Shares(i => sut.Select(plan, $"user-{i}", out _)!.Version);

        Assert.InRange(shares["1"], 0.8 - Tolerance, 0.8 + Tolerance);
        Assert.InRange(shares["2"], 0.2 - Tolerance, 0.2 + Tolerance);
    }

    [Fact]
    public void Select_SameKey_AlwaysSameVersionAcrossRoutersAndPlans()
    {
        var snapshot = Snapshot("1", "2", "3");
        var policy = Policy(("1", 1), ("2", 1), ("3", 1));
        var first = new TrafficRouter(new Random(1));
        var second = new TrafficRouter(new Random(2));

        for (var i = 0; i < 1000; i++)
        {
            var key = $"customer-{i}";
            var expected = first.Select(RoutePlan.Build(snapshot, policy), key, out var reason)!.Version;
            Assert.Equal(RouteReason.Sticky, reason);
            for (var repeat = 0; repeat < 5; repeat++)
            {
                Assert.Equal(expected, second.Select(RoutePlan.Build(snapshot, policy), key, out _)!.Version);
            }
        }
    }

    [Fact]
    public void Select_VersionAdded_OnlyKeysMovingToItChange()
    {
        var sut = new TrafficRouter(new Random(1));
        var before = RoutePlan.Build(Snapshot("1", "2"), Policy(("1", 1), ("2", 1), ("3", 1)));
        var after = RoutePlan.Build(Snapshot("1", "2", "3"), Policy(("1", 1), ("2", 1), ("3", 1)));

        var moved = 0;
        for (var i = 0; i < Requests; i++)
        {
            var key = $"k{i}";
            var was = sut.Select(before, key, out _)!.Version;
            var now = sut.Select(after, key, out _)!.Version;
            if (was != now)
            {
                Assert.Equal("3", now);
                moved++;
            }
        }

        Assert.InRange(moved / (double)Requests, (1.0 / 3) - Tolerance, (1.0 / 3) + Tolerance);
    }

    [Fact]
    public void Plan_ShadowVersion_IsResolvedOnlyWhenLoaded()
    {
        var loaded = RoutePlan.Build(Snapshot("1", "2"), new TrafficPolicyOptions { ShadowVersion = "2" });
        var missing = RoutePlan.Build(Snapshot("1"), new TrafficPolicyOptions { ShadowVersion = "2" });

        Assert.Equal("2", loaded.Shadow!.Version);
        Assert.Null(missing.Shadow);
    }

    [Fact]
    public void Get_SameSnapshotAndPolicy_ReusesPlan()
    {
        var snapshot = Snapshot("1");
        var policy = new TrafficPolicyOptions();
        var plan = RoutePlan.Build(snapshot, policy);

        Assert.Same(plan, RoutePlan.Get(plan, snapshot, policy));
        Assert.NotSame(plan, RoutePlan.Get(plan, snapshot, new TrafficPolicyOptions()));
    }

    private sealed class StubAdapter : IModelAdapter
    {
        public ModelSignature Signature { get; } = new() { InputKind = ModelInputKind.Text, OutputWidth = 1 };

        public void Predict(in ModelInput input, Span<float> output) => output[0] = 1;

        public void PredictBatch(ReadOnlySpan<ModelInput> inputs, Span<float> outputs) => outputs.Fill(1);

        public void Dispose()
        {
        }
    }
}
