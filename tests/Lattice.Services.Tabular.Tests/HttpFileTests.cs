using System.Net;
using Lattice.Services.Tabular.Tests.Support;
using Lattice.Testing;

namespace Lattice.Services.Tabular.Tests;

/// <summary>Every request of each service's <c>.http</c> file, replayed against the service: each must answer as the file says.</summary>
public sealed class HttpFileTests
{
    public static TheoryData<string, string> Files => new()
    {
        { "recommender", "Lattice.Services.Recommender/Recommender.http" },
        { "fraud", "Lattice.Services.Fraud/Fraud.http" },
        { "forecast", "Lattice.Services.Forecast/Forecast.http" },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task HttpFile_EveryRequest_AnswersAsDocumented(string model, string file)
    {
        var path = Path.Combine(TempRepository.ShippedModels, "..", "src", "Services", file);
        await using var sut = await ServiceApp.StartAsync(model);
        using var client = sut.CreateClient();
        var requests = HttpFile.Parse(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), sut.App.BaseAddress.ToString().TrimEnd('/'));

        Assert.True(requests.Count >= 8, $"{file} should hold a useful set of requests.");
        foreach (var (request, expected) in requests)
        {
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (expected is { } status)
            {
                Assert.True((int)response.StatusCode == status, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}, not {status}: {body}");
            }
            else
            {
                Assert.True(response.IsSuccessStatusCode, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {body}");
            }
        }
    }
}
