using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Lattice.ServiceDefaults.Discovery;

/// <summary>
/// Reads <c>Services:&lt;name&gt;:Urls</c>, either as an array (<c>Urls:0</c>, <c>Urls:1</c>) or as one
/// string separated by ';' or ','. Results are cached until the configuration reloads.
/// </summary>
public sealed class ConfigurationServiceEndpointResolver : IServiceEndpointResolver, IDisposable
{
    /// <summary>The configuration section that holds one child per service.</summary>
    public const string SectionName = "Services";

    private readonly IConfiguration _configuration;
    // A reload replaces the cache rather than clearing it: a read that had the old value when the reload came stores
    // it in the cache it started with, which is dropped. With Clear, it stored the old addresses after the clear, and
    // they stayed until the next reload.
    private volatile ConcurrentDictionary<string, IReadOnlyList<Uri>> _cache = NewCache();
    private readonly IDisposable _reloadRegistration;

    public ConfigurationServiceEndpointResolver(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configuration = configuration;
        _reloadRegistration = ChangeToken.OnChange(configuration.GetReloadToken, () => _cache = NewCache());
    }

    public ValueTask<IReadOnlyList<Uri>> ResolveAsync(string serviceName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        return ValueTask.FromResult(_cache.GetOrAdd(serviceName, Read, _configuration));
    }

    public void Dispose() => _reloadRegistration.Dispose();

    private static ConcurrentDictionary<string, IReadOnlyList<Uri>> NewCache() => new(StringComparer.OrdinalIgnoreCase);

    private static IReadOnlyList<Uri> Read(string serviceName, IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName).GetSection(serviceName).GetSection("Urls");
        var raw = section.Value is { } single
            ? single.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : section.GetChildren().Select(c => c.Value).OfType<string>();
        var endpoints = new List<Uri>();
        foreach (var value in raw)
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new InvalidOperationException(
                    $"{SectionName}:{serviceName}:Urls holds '{value}', which is not an absolute http(s) address.");
            }

            endpoints.Add(uri);
        }

        return endpoints;
    }
}
