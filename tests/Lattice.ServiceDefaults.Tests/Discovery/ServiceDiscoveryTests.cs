using Lattice.ServiceDefaults.Discovery;
using Lattice.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.ServiceDefaults.Tests.Discovery;

public sealed class ServiceDiscoveryTests
{
    [Fact]
    public async Task LogicalName_TwoReplicas_CallsAreSpreadAcrossBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = await TestApps.StartAsync(app => app.MapGet("/who", () => "first"));
        await using var second = await TestApps.StartAsync(app => app.MapGet("/who", () => "second"));
        await using var caller = await TestApps.StartAsync(_ => { }, settings: new Dictionary<string, string?>
        {
            ["Services:sentiment:Urls:0"] = first.BaseAddress.ToString(),
            ["Services:sentiment:Urls:1"] = second.BaseAddress.ToString(),
        });
        var client = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await client.GetStringAsync("http://sentiment/who?x=1", ct));
        }

        Assert.Equal(2, answers.Count(a => a == "first"));
        Assert.Equal(2, answers.Count(a => a == "second"));
    }

    [Theory]
    [InlineData("http://a:1;http://b:2", 2)]
    [InlineData(" http://a:1 , http://b:2 ", 2)]
    [InlineData("", 0)]
    public async Task Resolve_SeparatedString_ParsesEveryAddress(string value, int expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Services:x:Urls"] = value }).Build();
        using var sut = new ConfigurationServiceEndpointResolver(configuration);

        var endpoints = await sut.ResolveAsync("x", TestContext.Current.CancellationToken);

        Assert.Equal(expected, endpoints.Count);
    }

    [Fact]
    public async Task Resolve_ConfigurationReloadsDuringARead_NextResolveSeesTheNewAddresses()
    {
        var ct = TestContext.Current.CancellationToken;
        var source = new GatedSource();
        source.Provider.Set("Services:x:Urls", "http://old:1");
        var configuration = new ConfigurationBuilder().Add(source).Build();
        using var sut = new ConfigurationServiceEndpointResolver(configuration);
        source.Provider.HoldNextRead = true;

        // A read that has the old value when the reload happens must not leave it cached after the reload.
        var racing = Task.Run(() => sut.ResolveAsync("x", ct).AsTask(), ct);
        await source.Provider.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        source.Provider.Set("Services:x:Urls", "http://new:1");
        source.Provider.Reload();
        source.Provider.Release.Set();
        await racing.WaitAsync(TimeSpan.FromSeconds(30), ct);

        var endpoints = await sut.ResolveAsync("x", ct);

        Assert.Equal(new Uri("http://new:1"), Assert.Single(endpoints));
    }

    /// <summary>A configuration source whose next read of a value stops, having read it, until the test lets it go.</summary>
    private sealed class GatedSource : IConfigurationSource
    {
        public GatedProvider Provider { get; } = new();

        public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
    }

    private sealed class GatedProvider : ConfigurationProvider
    {
        public volatile bool HoldNextRead;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ManualResetEventSlim Release { get; } = new();

        public void Reload() => OnReload();

        public override bool TryGet(string key, out string? value)
        {
            var found = base.TryGet(key, out value);
            if (found && HoldNextRead)
            {
                HoldNextRead = false;
                Entered.TrySetResult();
                Release.Wait(TimeSpan.FromSeconds(60));
            }

            return found;
        }
    }

    [Fact]
    public async Task Resolve_NotAnHttpAddress_FailsWithTheKeyInTheMessage()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Services:x:Urls"] = "ftp://nope" }).Build();
        using var sut = new ConfigurationServiceEndpointResolver(configuration);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sut.ResolveAsync("x", TestContext.Current.CancellationToken).AsTask());

        Assert.Contains("Services:x:Urls", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Combine_EndpointWithBasePath_KeepsBasePathAndQuery()
    {
        var combined = ServiceDiscoveryHandler.Combine(new Uri("http://127.0.0.1:5000/base/"), new Uri("http://svc/v1/x?q=1"));

        Assert.Equal("http://127.0.0.1:5000/base/v1/x?q=1", combined.ToString());
    }

    [Fact]
    public void CombineCached_SameAddresses_GivesTheSameUriAsCombine()
    {
        ServiceDiscoveryHandler.ResetCombined();
        var endpoint = new Uri("http://127.0.0.1:5000/");
        var other = new Uri("http://127.0.0.1:5001/");

        var first = ServiceDiscoveryHandler.CombineCached(endpoint, new Uri("http://svc/v1/x"));
        var again = ServiceDiscoveryHandler.CombineCached(new Uri("http://127.0.0.1:5000/"), new Uri("http://svc/v1/x"));
        var otherReplica = ServiceDiscoveryHandler.CombineCached(other, new Uri("http://svc/v1/x"));
        var withQuery = ServiceDiscoveryHandler.CombineCached(endpoint, new Uri("http://svc/v1/x?q=2"));

        Assert.Equal("http://127.0.0.1:5000/v1/x", first.ToString());
        Assert.Same(first, again);
        Assert.Equal("http://127.0.0.1:5001/v1/x", otherReplica.ToString());
        Assert.Equal("http://127.0.0.1:5000/v1/x?q=2", withQuery.ToString());
    }

    [Fact]
    public void CombineCached_ManyDistinctPaths_StaysCorrectPastTheCacheBound()
    {
        var endpoint = new Uri("http://127.0.0.1:5000/");

        for (var i = 0; i < 3000; i++)
        {
            Assert.Equal($"http://127.0.0.1:5000/v1/item{i}", ServiceDiscoveryHandler.CombineCached(endpoint, new Uri($"http://svc/v1/item{i}")).ToString());
        }
    }
}
