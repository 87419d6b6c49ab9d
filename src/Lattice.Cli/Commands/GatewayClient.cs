using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;

namespace Lattice.Cli.Commands;

/// <summary>Calls the gateway the way a user would: with an API key, printing the JSON or the problem.</summary>
internal static class GatewayClient
{
    /// <summary>How long a call may take: a pipeline run calls several services, so it gets more than a health check.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Posts to a route naming something the user typed (a service, a pipeline): <paramref name="route"/> gets the
    /// name as one escaped path segment, and a name that would reach another route is refused before any call.
    /// </summary>
    public static async Task<int> PostToNamedAsync(string configPath, string? gateway, string? key, string what, string name, Func<string, string> route, object body, CancellationToken cancellationToken)
    {
        if (PathSegment(name) is not { } segment)
        {
            await Console.Error.WriteLineAsync($"'{name}' is not a {what} name: it must not be empty, '.' or '..', nor contain '/' or '\\'.");
            return 2;
        }

        var (baseUrl, apiKey) = Resolve(configPath, gateway, key);
        if (CheckOptions(gateway, apiKey) is { } problem)
        {
            await Console.Error.WriteLineAsync(problem);
            return 2;
        }

        return await SendAsync(baseUrl, apiKey, route(segment), body, Timeout, Console.Out, Console.Error, cancellationToken);
    }

    /// <summary>A name as one URL path segment, escaped; null when it cannot be one (it holds a separator, or is a dot segment).</summary>
    internal static string? PathSegment(string name) =>
        name is "" or "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal)
            ? null
            : Uri.EscapeDataString(name);

    /// <summary>Sends the JSON body and prints the JSON answer (or the problem, and the status on stderr); 0 on success.</summary>
    internal static async Task<int> SendAsync(Uri baseUrl, string? apiKey, string path, object body, TimeSpan timeout, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = timeout };
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
            await output.WriteLineAsync(Pretty(text));
            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"{(int)response.StatusCode} {response.ReasonPhrase}");
                return 1;
            }

            return 0;
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"Cannot reach the gateway at {baseUrl}: {e.Message}. Is lattice up running?");
            return 1;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient reports its own timeout as a cancellation the caller never asked for.
            await error.WriteLineAsync($"The gateway at {baseUrl} did not answer {path} within {timeout.TotalSeconds:0.##}s. `lattice status` shows whether every process is ready; the logs are under the data folder.");
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

        var url = gateway is not null && GatewayUrl(gateway) is { } given ? given : fromState ?? new Uri("http://127.0.0.1:5000/");
        var apiKey = key ?? Environment.GetEnvironmentVariable("LATTICE_API_KEY") ?? (dataFolder is null ? null : AdminKey.TryLoad(dataFolder));
        return (url, apiKey);
    }

    /// <summary>
    /// Why <c>--gateway</c> or the key cannot be used, or null: the gateway must be an absolute http(s) URL, and the key
    /// (from <c>--key</c>, <c>$LATTICE_API_KEY</c> or the data folder) printable ASCII, as an HTTP header carries it.
    /// </summary>
    internal static string? CheckOptions(string? gateway, string? key) =>
        gateway is not null && GatewayUrl(gateway) is null
            ? $"--gateway must be an http or https URL such as http://127.0.0.1:5000, not '{gateway}'."
            : key is not null && (key.Length == 0 || key.Any(c => c is < '!' or > '~'))
                ? "The API key (--key or $LATTICE_API_KEY) must be printable ASCII without spaces, as an Authorization header carries it."
                : null;

    private static Uri? GatewayUrl(string gateway) =>
        Uri.TryCreate(gateway.TrimEnd('/') + "/", UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : null;

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
