using System.Globalization;
using System.Text.Json;

namespace Lattice.ML.Text;

/// <summary>Reads and writes <see cref="TextFeaturizerOptions"/> as the <c>featurizer</c> object of model metadata.</summary>
/// <remarks>Hand-written for start-up speed (see ModelMetadataJson). Reading refuses unknown settings:
/// silently ignoring one would featurise differently from training and predict wrongly.</remarks>
internal static class TextFeaturizerOptionsJson
{
    public static JsonElement ToJson(TextFeaturizerOptions options)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("normalization", options.Normalization.ToString());
            writer.WriteBoolean("caseFolding", options.CaseFolding);
            writer.WriteBoolean("digitFolding", options.DigitFolding);
            writer.WriteNumber("wordNgrams", options.WordNgrams);
            writer.WriteNumber("charNgramMin", options.CharNgramMin);
            writer.WriteNumber("charNgramMax", options.CharNgramMax);
            writer.WriteNumber("buckets", options.Buckets);
            writer.WriteNumber("hashSeed", options.HashSeed);
            writer.WriteString("weighting", options.Weighting.ToString());
            writer.WriteBoolean("useIdf", options.UseIdf);
            writer.WriteString("vectorNormalization", options.VectorNormalization.ToString());
            writer.WriteNumber("maxInputChars", options.MaxInputChars);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    /// <exception cref="JsonException">A setting is unknown, missing a valid value, or of the wrong type.</exception>
    public static TextFeaturizerOptions FromJson(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("featurizer settings are not an object");
        }

        var options = new TextFeaturizerOptions();
        foreach (var property in json.EnumerateObject())
        {
            var value = property.Value;
            options = property.Name switch
            {
                "normalization" => options with { Normalization = ParseEnum<TextNormalization>(value) },
                "caseFolding" => options with { CaseFolding = value.GetBoolean() },
                "digitFolding" => options with { DigitFolding = value.GetBoolean() },
                "wordNgrams" => options with { WordNgrams = value.GetInt32() },
                "charNgramMin" => options with { CharNgramMin = value.GetInt32() },
                "charNgramMax" => options with { CharNgramMax = value.GetInt32() },
                "buckets" => options with { Buckets = value.GetInt32() },
                "hashSeed" => options with { HashSeed = value.GetUInt32() },
                "weighting" => options with { Weighting = ParseEnum<TermWeighting>(value) },
                "useIdf" => options with { UseIdf = value.GetBoolean() },
                "vectorNormalization" => options with { VectorNormalization = ParseEnum<VectorNormalization>(value) },
                "maxInputChars" => options with { MaxInputChars = value.GetInt32() },
                _ => throw new JsonException($"unknown featurizer setting '{property.Name}'"),
            };
        }

        return options;
    }

    private static T ParseEnum<T>(JsonElement value)
        where T : struct, Enum =>
        Enum.TryParse<T>(value.GetString(), ignoreCase: true, out var result) && Enum.IsDefined(result)
            && !int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? result
            : throw new JsonException($"'{value.GetString()}' is not a known {typeof(T).Name}");
}
