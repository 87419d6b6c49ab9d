using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Lattice.Cli.Platform;

/// <summary>
/// Where each key of lattice.yaml is (dotted path such as <c>services.spam.port</c> → its line and column), read
/// with YamlDotNet's parser before deserializing, so errors found later still name the line. It also rejects what
/// the deserializer would accept silently or crash on: a key given twice, and a key with nothing after it.
/// </summary>
internal static class YamlOutline
{
    /// <summary>The position of every key; <paramref name="file"/> is how errors name the file.</summary>
    public static IReadOnlyDictionary<string, Mark> Read(string yaml, string file)
    {
        var marks = new Dictionary<string, Mark>(StringComparer.Ordinal);
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        while (parser.TryConsume<DocumentStart>(out _))
        {
            ReadNode(parser, string.Empty, marks, file);
            parser.Consume<DocumentEnd>();
        }

        parser.Consume<StreamEnd>();
        return marks;
    }

    /// <summary>Deeper nesting than this is refused: lattice.yaml needs four levels, and the walk recurses.</summary>
    private const int MaxDepth = 64;

    private static void ReadNode(IParser parser, string path, Dictionary<string, Mark> marks, string file, int depth = 0)
    {
        if (depth > MaxDepth && parser.Current is MappingStart or SequenceStart)
        {
            throw new PlatformConfigException($"{At(file, parser.Current.Start)}: nested more than {MaxDepth} levels deep");
        }

        if (parser.TryConsume<MappingStart>(out _))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = parser.Consume<Scalar>();
                var keyPath = path.Length == 0 ? key.Value : $"{path}.{key.Value}";
                if (!seen.Add(key.Value))
                {
                    throw new PlatformConfigException($"{At(file, key.Start)}: '{keyPath}' is given twice (first on line {marks[keyPath].Line})");
                }

                marks[keyPath] = key.Start;
                if (parser.Current is Scalar { Style: ScalarStyle.Plain, Value: "" or "~" or "null" or "Null" or "NULL" })
                {
                    throw new PlatformConfigException($"{At(file, key.Start)}: '{keyPath}' has no value (give it one, or delete the line to keep the default)");
                }

                ReadNode(parser, keyPath, marks, file, depth + 1);
            }
        }
        else if (parser.TryConsume<SequenceStart>(out _))
        {
            for (var i = 0; !parser.TryConsume<SequenceEnd>(out _); i++)
            {
                ReadNode(parser, $"{path}[{i}]", marks, file, depth + 1);
            }
        }
        else
        {
            // A scalar or an alias: a leaf.
            parser.MoveNext();
        }
    }

    /// <summary><c>file:line:column</c>, the form editors and terminals turn into a link.</summary>
    public static string At(string file, Mark mark) => $"{file}:{mark.Line}:{mark.Column}";
}
