using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Lattice.Services.Tabular.Tests.Support;

namespace Lattice.Services.Tabular.Tests;

/// <summary>Every request of each service's <c>.http</c> file, replayed against the service: each must answer as the file says.</summary>
public sealed partial class HttpFileTests
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
        var requests = Parse(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), sut.App.BaseAddress.ToString().TrimEnd('/'));

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

    /// <summary>The subset of the .http format the files use: <c>@host</c>, <c>###</c> blocks, headers, a body, and <c># expect: NNN</c>.</summary>
    private static List<(HttpRequestMessage Request, int? Expected)> Parse(string text, string host)
    {
        var requests = new List<(HttpRequestMessage, int?)>();
        foreach (var block in text.Split("###"))
        {
            var lines = block.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            var start = lines.FindIndex(l => RequestLine().IsMatch(l));
            if (start < 0)
            {
                continue;
            }

            var expect = lines.Take(start).Select(l => Expect().Match(l)).FirstOrDefault(m => m.Success);
            var requestLine = lines[start].Split(' ', 2);
            var request = new HttpRequestMessage(new HttpMethod(requestLine[0]), requestLine[1].Trim().Replace("{{host}}", host, StringComparison.Ordinal));
            var index = start + 1;
            for (; index < lines.Count && lines[index].Length > 0; index++)
            {
                var header = lines[index].Split(':', 2);
                if (!header[0].Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    request.Headers.TryAddWithoutValidation(header[0].Trim(), header[1].Trim());
                }
            }

            var body = string.Join('\n', lines.Skip(index + 1).Where(l => !l.StartsWith('#'))).Trim();
            if (body.Length > 0)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            requests.Add((request, expect is null ? null : int.Parse(expect.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        return requests;
    }

    [GeneratedRegex(@"^(GET|POST|PUT|DELETE|PATCH) ")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"^# expect: (\d{3})")]
    private static partial Regex Expect();
}
