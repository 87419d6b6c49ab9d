using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;

namespace Lattice.Cli.Commands;

/// <summary>Calls the gateway the way a user would: with an API key, printing the JSON or the problem.</summary>
internal static class GatewayClient
{
    public static async Task<int> PostAsync(string configPath, string? gateway, string? key, string path, object body, CancellationToken cancellationToken)
    {
        var (baseUrl, apiKey) = Resolve(configPath, gateway, key);
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            Console.WriteLine(Pretty(text));
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"{(int)response.StatusCode} {response.ReasonPhrase}");
                return 1;
            }

            return 0;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"Cannot reach the gateway at {baseUrl}: {e.Message}. Is lattice up running?");
            return 1;
        }
    }

    private static (Uri Gateway, string? Key) Resolve(string configPath, string? gateway, string? key)
    {
        string? dataFolder = null;
        Uri? fromState = null;
        try
        {
            var plan = PlatformConfigLoader.Load(configPath);
            dataFolder = plan.DataFolder;
            fromState = plan.GatewayUrl;
        }
        catch (PlatformConfigException)
        {
            // No lattice.yaml here: rely on the options and environment.
        }

        var url = gateway is not null ? new Uri(gateway.TrimEnd('/') + "/") : fromState ?? new Uri("http://127.0.0.1:5000/");
        var apiKey = key ?? Environment.GetEnvironmentVariable("LATTICE_API_KEY") ?? (dataFolder is null ? null : AdminKey.TryLoad(dataFolder));
        return (url, apiKey);
    }

    private static string Pretty(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
