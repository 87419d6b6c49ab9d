using System.Buffers.Text;
using System.Text.Json;

namespace Lattice.ML.ModelFiles;

/// <summary>Reads and writes <see cref="ModelMetadata"/> as JSON.</summary>
/// <remarks>Reading uses <see cref="JsonLite"/> (see there why); writing happens at training time and uses
/// <see cref="Utf8JsonWriter"/>. Unknown properties are skipped, so newer optional fields do not break
/// older readers.</remarks>
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
            WriteRawObject(writer, "featurizer", metadata.FeaturizerJson);
            WriteRawObject(writer, "hyperparameters", metadata.HyperparametersJson);
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
            Span<byte> date = stackalloc byte[40];
            Utf8Formatter.TryFormat(metadata.CreatedAt.ToUniversalTime(), date, out var written, 'O');
            writer.WriteString("createdAt", date[..written]);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <exception cref="FormatException">The JSON is invalid or a field has the wrong type.</exception>
    public static ModelMetadata Read(ReadOnlySpan<byte> json)
    {
        string? name = null, version = null, task = null, algorithm = null, featurizer = null, hyperparameters = null;
        var labels = new List<string>();
        TrainingDataInfo? trainingData = null;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var createdAt = default(DateTimeOffset);

        var reader = new JsonLite(json);
        reader.StartObject();
        while (reader.NextProperty(out var property))
        {
            switch (property)
            {
                case "featurizer":
                    featurizer = ReadRawObject(ref reader, property);
                    break;
                case "hyperparameters":
                    hyperparameters = ReadRawObject(ref reader, property);
                    break;
                default:
                    var value = reader.ReadValue();
                    switch (property)
                    {
                        case "name": name = As<string>(value, property); break;
                        case "version": version = As<string>(value, property); break;
                        case "task": task = As<string>(value, property); break;
                        case "algorithm": algorithm = As<string>(value, property); break;
                        case "labels":
                            foreach (var label in As<List<object?>>(value, property))
                            {
                                labels.Add(As<string>(label, property));
                            }

                            break;
                        case "trainingData":
                            var data = As<Dictionary<string, object?>>(value, property);
                            trainingData = new TrainingDataInfo(
                                data.TryGetValue("fingerprint", out var f) ? As<string>(f, "fingerprint") : string.Empty,
                                data.TryGetValue("description", out var d) ? As<string>(d, "description") : string.Empty,
                                data.TryGetValue("rows", out var r) ? (long)As<double>(r, "rows") : 0);
                            break;
                        case "metrics":
                            foreach (var (key, metric) in As<Dictionary<string, object?>>(value, property))
                            {
                                metrics[key] = As<double>(metric, key);
                            }

                            break;
                        case "properties":
                            foreach (var (key, text) in As<Dictionary<string, object?>>(value, property))
                            {
                                properties[key] = As<string>(text, key);
                            }

                            break;
                        case "createdAt":
                            // Any ISO 8601 date with an offset: writers trim trailing zeros of the fraction
                            // (System.Text.Json writes .972088, not .9720880), which the strict 'O' parser refuses.
                            if (!DateTimeOffset.TryParse(As<string>(value, property), System.Globalization.CultureInfo.InvariantCulture,
                                    System.Globalization.DateTimeStyles.RoundtripKind, out createdAt))
                            {
                                throw new FormatException("createdAt is not an ISO 8601 date.");
                            }

                            break;
                    }

                    break;
            }
        }

        reader.EndOfDocument();
        return new ModelMetadata
        {
            Name = name ?? string.Empty,
            Version = version ?? string.Empty,
            Task = task ?? string.Empty,
            Algorithm = algorithm ?? string.Empty,
            Labels = labels,
            FeaturizerJson = featurizer,
            HyperparametersJson = hyperparameters,
            TrainingData = trainingData,
            Metrics = metrics,
            Properties = properties,
            CreatedAt = createdAt,
        };
    }

    private static void WriteRawObject(Utf8JsonWriter writer, string name, string? json)
    {
        if (json is not null)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(json); // validates that it is JSON
        }
    }

    private static string ReadRawObject(ref JsonLite reader, string name)
    {
        var raw = reader.ReadRaw();
        return raw.StartsWith('{') ? raw : throw new FormatException($"'{name}' must be a JSON object.");
    }

    private static T As<T>(object? value, string name) =>
        value is T typed ? typed : throw new FormatException($"Metadata field '{name}' has the wrong JSON type.");
}
