using System.Globalization;
using System.Text.Json;

namespace Lattice.ML.ModelFiles;

/// <summary>Reads and writes <see cref="ModelMetadata"/> as JSON by hand.</summary>
/// <remarks>The serializer's first use (source-generated or not) costs ~50 ms of start-up per process,
/// more than loading a whole model; a model server and a CLI prediction start faster without it.
/// Unknown properties are skipped, so newer optional fields do not break older readers.</remarks>
internal static class ModelMetadataJson
{
    public static byte[] Write(ModelMetadata metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("name", metadata.Name);
            writer.WriteString("version", metadata.Version);
            writer.WriteString("task", metadata.Task);
            writer.WriteString("algorithm", metadata.Algorithm);
            writer.WriteStartArray("labels");
            foreach (var label in metadata.Labels)
            {
                writer.WriteStringValue(label);
            }

            writer.WriteEndArray();
            if (metadata.Featurizer is { } featurizer)
            {
                writer.WritePropertyName("featurizer");
                featurizer.WriteTo(writer);
            }

            if (metadata.Hyperparameters is { } hyperparameters)
            {
                writer.WritePropertyName("hyperparameters");
                hyperparameters.WriteTo(writer);
            }

            if (metadata.TrainingData is { } data)
            {
                writer.WriteStartObject("trainingData");
                writer.WriteString("fingerprint", data.Fingerprint);
                writer.WriteString("description", data.Description);
                writer.WriteNumber("rows", data.Rows);
                writer.WriteEndObject();
            }

            writer.WriteStartObject("metrics");
            foreach (var (key, value) in metadata.Metrics.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (double.IsFinite(value))
                {
                    writer.WriteNumber(key, value);
                }
            }

            writer.WriteEndObject();
            writer.WriteStartObject("properties");
            foreach (var (key, value) in metadata.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            writer.WriteString("createdAt", metadata.CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <exception cref="JsonException">The JSON is invalid or a field has the wrong type.</exception>
    public static ModelMetadata Read(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("metadata is not a JSON object");
        }

        TrainingDataInfo? trainingData = null;
        if (root.TryGetProperty("trainingData", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            trainingData = new TrainingDataInfo(
                OptionalString(data, "fingerprint") ?? string.Empty,
                OptionalString(data, "description") ?? string.Empty,
                data.TryGetProperty("rows", out var rows) ? rows.GetInt64() : 0);
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (root.TryGetProperty("metrics", out var metricsElement))
        {
            foreach (var property in metricsElement.EnumerateObject())
            {
                metrics[property.Name] = property.Value.GetDouble();
            }
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("properties", out var propertiesElement))
        {
            foreach (var property in propertiesElement.EnumerateObject())
            {
                properties[property.Name] = property.Value.GetString() ?? string.Empty;
            }
        }

        var labels = new List<string>();
        if (root.TryGetProperty("labels", out var labelsElement))
        {
            foreach (var label in labelsElement.EnumerateArray())
            {
                labels.Add(label.GetString() ?? throw new JsonException("a label is null"));
            }
        }

        var createdAt = OptionalString(root, "createdAt");
        return new ModelMetadata
        {
            Name = OptionalString(root, "name") ?? string.Empty,
            Version = OptionalString(root, "version") ?? string.Empty,
            Task = OptionalString(root, "task") ?? string.Empty,
            Algorithm = OptionalString(root, "algorithm") ?? string.Empty,
            Labels = labels,
            Featurizer = root.TryGetProperty("featurizer", out var featurizer) ? featurizer.Clone() : null,
            Hyperparameters = root.TryGetProperty("hyperparameters", out var hyperparameters) ? hyperparameters.Clone() : null,
            TrainingData = trainingData,
            Metrics = metrics,
            Properties = properties,
            CreatedAt = createdAt is null ? default : DateTimeOffset.Parse(createdAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        };
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetString() : null;
}
