using System.Text.Json;
using Lattice.ML.ModelFiles;

namespace Lattice.ML.Text;

/// <summary>Reads and writes <see cref="TextFeaturizerOptions"/> as the <c>featurizer</c> object of model metadata.</summary>
/// <remarks>Hand-written for start-up speed (see ModelMetadataJson). Reading refuses unknown settings:
/// silently ignoring one would featurise differently from training and predict wrongly.</remarks>
internal static class TextFeaturizerOptionsJson
{
    public static string ToJson(TextFeaturizerOptions options)
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

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <exception cref="FormatException">A setting is unknown, has an invalid value, or the wrong type.</exception>
    public static TextFeaturizerOptions FromJson(string json)
    {
        if (JsonLite.Parse(System.Text.Encoding.UTF8.GetBytes(json)) is not Dictionary<string, object?> settings)
        {
            throw new FormatException("featurizer settings are not an object");
        }

        var options = new TextFeaturizerOptions();
        foreach (var (name, value) in settings)
        {
            options = name switch
            {
                "normalization" => options with { Normalization = Parse(value, TextNormalization.None, TextNormalization.Nfkc) },
                "caseFolding" => options with { CaseFolding = As<bool>(value, name) },
                "digitFolding" => options with { DigitFolding = As<bool>(value, name) },
                "wordNgrams" => options with { WordNgrams = Integer(value, name) },
                "charNgramMin" => options with { CharNgramMin = Integer(value, name) },
                "charNgramMax" => options with { CharNgramMax = Integer(value, name) },
                "buckets" => options with { Buckets = Integer(value, name) },
                "hashSeed" => options with { HashSeed = checked((uint)As<double>(value, name)) },
                "weighting" => options with { Weighting = Parse(value, TermWeighting.Count, TermWeighting.Binary, TermWeighting.Sublinear) },
                "useIdf" => options with { UseIdf = As<bool>(value, name) },
                "vectorNormalization" => options with { VectorNormalization = Parse(value, VectorNormalization.None, VectorNormalization.L1, VectorNormalization.L2) },
                "maxInputChars" => options with { MaxInputChars = Integer(value, name) },
                _ => throw new FormatException($"unknown featurizer setting '{name}'"),
            };
        }

        return options;
    }

    private static T As<T>(object? value, string name) =>
        value is T typed ? typed : throw new FormatException($"featurizer setting '{name}' has the wrong type");

    private static int Integer(object? value, string name)
    {
        var number = As<double>(value, name);
        return number == Math.Floor(number) && number is >= int.MinValue and <= int.MaxValue
            ? (int)number
            : throw new FormatException($"featurizer setting '{name}' is not an integer");
    }

    // Enum.Parse would do, but reflection-backed parsing costs start-up time on every model load.
    private static T Parse<T>(object? value, params ReadOnlySpan<T> allowed)
        where T : struct, Enum
    {
        var text = As<string>(value, typeof(T).Name);
        foreach (var candidate in allowed)
        {
            if (string.Equals(candidate.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        throw new FormatException($"'{text}' is not a known {typeof(T).Name}");
    }
}
