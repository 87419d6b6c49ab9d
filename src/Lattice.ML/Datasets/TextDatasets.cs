using System.Text;
using System.Text.Json;

namespace Lattice.ML.Datasets;

/// <summary>Readers for the text datasets in the shared datasets folder (see each folder's SOURCE.md).</summary>
public static class TextDatasets
{
    /// <summary>The task names the readers and the default models use.</summary>
    public static IReadOnlyList<string> Tasks { get; } = ["language", "sentiment", "intent", "spam"];

    /// <summary>Loads the dataset behind a default model: language, sentiment, intent or spam.</summary>
    public static TextDataset Load(string task, string? root = null) => task switch
    {
        "language" => LanguageId(root),
        "sentiment" => Sst2(root),
        "intent" => Banking77(root),
        "spam" => SmsSpam(root),
        _ => throw new ArgumentException($"Unknown task '{task}'; expected one of {string.Join(", ", Tasks)}.", nameof(task)),
    };

    /// <summary>SST-2: train on the 67,349 GLUE phrases (or the 6,920 sentences), test on the 1,821 labelled test sentences.</summary>
    public static TextDataset Sst2(string? root = null, bool phrases = true)
    {
        var folder = Path.Combine(root ?? DatasetLocator.Find(), "sentiment", "sst2");
        var trainFile = phrases ? "train_glue_phrases.tsv" : "train_sentences.tsv";
        return new TextDataset(
            "sst2",
            ["0", "1"],
            ReadLabelTab(Path.Combine(folder, trainFile)),
            ReadLabelTab(Path.Combine(folder, "test_sentences.tsv")),
            $"sentiment/sst2/{trainFile} (train), dev_sentences.tsv (validation), test_sentences.tsv (test); labels 0 = negative, 1 = positive")
        {
            Validation = ReadLabelTab(Path.Combine(folder, "dev_sentences.tsv")),
        };
    }

    /// <summary>BANKING77: the official train.csv / test.csv, 77 intents in categories.json order.</summary>
    public static TextDataset Banking77(string? root = null)
    {
        var folder = Path.Combine(root ?? DatasetLocator.Find(), "intent", "banking77");
        var labels = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(folder, "categories.json")), DatasetJsonContext.Default.StringArray)
            ?? throw new InvalidDataException("categories.json is empty.");
        return new TextDataset("banking77", labels, ReadBankingCsv(Path.Combine(folder, "train.csv")), ReadBankingCsv(Path.Combine(folder, "test.csv")),
            "intent/banking77/train.csv (train), test.csv (test)");
    }

    /// <summary>SMS Spam Collection with the published hold-out: the first 30 % of the file (1,674 messages) train, the rest (3,900) test.</summary>
    public static TextDataset SmsSpam(string? root = null)
    {
        var path = Path.Combine(root ?? DatasetLocator.Find(), "spam", "SMSSpamCollection");
        var all = DelimitedReader.ReadTabPairs(path, skipHeader: false).Select(p => new LabeledText(p.Second, p.First)).ToList();
        const int TrainCount = 1674; // Almeida et al. 2011: first 30 % train, last 70 % test
        return new TextDataset("sms-spam", ["ham", "spam"], all[..TrainCount], all[TrainCount..],
            "spam/SMSSpamCollection, first 1,674 lines train, last 3,900 test (Almeida et al. 2011 hold-out)");
    }

    /// <summary>Language ID: train on the UDHR text of 75 languages, test on Lingua's sentences (extra tests: word pairs, single words).</summary>
    public static TextDataset LanguageId(string? root = null)
    {
        var folder = Path.Combine(root ?? DatasetLocator.Find(), "langid");
        var languages = DelimitedReader.ReadTabPairs(Path.Combine(folder, "languages.tsv"), skipHeader: true).Select(p => p.First).ToArray();
        return new TextDataset("langid-75", languages, ReadPerLabel(Path.Combine(folder, "udhr_train"), languages),
            ReadPerLabel(Path.Combine(folder, "lingua_testdata", "sentences"), languages),
            "langid/udhr_train (train, UDHR only); langid/lingua_testdata/sentences (test)")
        {
            ExtraTests = new Dictionary<string, IReadOnlyList<LabeledText>>
            {
                ["word-pairs"] = ReadPerLabel(Path.Combine(folder, "lingua_testdata", "word-pairs"), languages),
                ["single-words"] = ReadPerLabel(Path.Combine(folder, "lingua_testdata", "single-words"), languages),
            },
        };
    }

    private static List<LabeledText> ReadLabelTab(string path) =>
        DelimitedReader.ReadTabPairs(path, skipHeader: true).Select(p => new LabeledText(p.Second, p.First)).ToList();

    private static List<LabeledText> ReadBankingCsv(string path)
    {
        var rows = DelimitedReader.ReadCsv(path);
        if (rows.Count == 0 || rows[0] is not ["text", "category"])
        {
            throw new InvalidDataException($"{path}: expected the header 'text,category'.");
        }

        return rows.Skip(1).Select(r => r.Length == 2 ? new LabeledText(r[0], r[1]) : throw new InvalidDataException($"{path}: a row has {r.Length} fields.")).ToList();
    }

    private static List<LabeledText> ReadPerLabel(string folder, IEnumerable<string> labels)
    {
        var result = new List<LabeledText>();
        foreach (var label in labels)
        {
            foreach (var line in File.ReadLines(Path.Combine(folder, label + ".txt"), Encoding.UTF8))
            {
                var text = line.Trim();
                if (text.Length > 0)
                {
                    result.Add(new LabeledText(text, label));
                }
            }
        }

        return result;
    }
}
