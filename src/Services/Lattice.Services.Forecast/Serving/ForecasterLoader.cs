using System.Text.Json;
using Lattice.Hosting.Models;
using Lattice.Hosting.Typed;
using Lattice.ML.Forecasting;

namespace Lattice.Services.Forecast.Serving;

/// <summary>
/// A forecaster version: its configuration, since forecasting fits per request and has nothing trained to load.
/// Read from <c>&lt;version&gt;/forecaster.json</c>, e.g. <c>{"method": "auto", "description": "..."}</c>.
/// </summary>
/// <param name="Method">The method a request gets unless it names one.</param>
/// <param name="Description">What this configuration is for (free text).</param>
internal sealed record ForecasterVersion(ForecastMethod Method, string Description);

/// <summary>Loads <c>forecaster.json</c>; a missing, oversized or invalid file refuses the version (the others keep serving).</summary>
internal sealed class ForecasterLoader : IModelLoader
{
    public const string FileName = "forecaster.json";

    /// <summary>A configuration is a few lines; anything larger is not one.</summary>
    private const int MaxFileBytes = 64 * 1024;

    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = Path.Combine(source.Directory, FileName);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"A forecaster version needs {FileName}.", path);
        }

        if (info.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{path} is larger than {MaxFileBytes} bytes.");
        }

        return new ForecasterAdapter(Parse(File.ReadAllBytes(path), path));
    }

    internal static ForecasterVersion Parse(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path} must hold a JSON object.");
            }

            var method = ForecastMethod.Auto;
            if (root.TryGetProperty("method", out var methodElement))
            {
                if (methodElement.ValueKind != JsonValueKind.String || !ForecastNames.TryParseMethod(methodElement.GetString(), out method))
                {
                    throw new InvalidDataException($"{path}: 'method' must be one of {ForecastNames.MethodList}.");
                }
            }

            var description = root.TryGetProperty("description", out var descriptionElement) && descriptionElement.ValueKind == JsonValueKind.String
                ? descriptionElement.GetString()!
                : string.Empty;
            return new ForecasterVersion(method, description);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {ex.Message}", ex);
        }
    }
}

/// <summary>A forecaster version; the warm-up probe forecasts three days of a synthetic hourly series with its method.</summary>
internal sealed class ForecasterAdapter(ForecasterVersion version)
    : TypedModelAdapter<ForecasterVersion>(version, "lattice_forecaster", "forecasting")
{
    private static readonly double[] ProbeSeries = [.. Enumerable.Range(0, 72).Select(t => 100 + (10 * Math.Sin(2 * Math.PI * t / 24)) + (0.1 * t))];

    protected override float Probe()
    {
        var options = ForecastOptions.For(SeriesFrequency.Hourly) with { Method = Model.Method };
        return (float)Forecaster.Forecast(ProbeSeries, 24, options).Point[0];
    }
}
