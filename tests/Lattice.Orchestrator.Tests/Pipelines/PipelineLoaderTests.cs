using System.Globalization;
using Lattice.Orchestrator.Pipelines;

namespace Lattice.Orchestrator.Tests.Pipelines;

public sealed class PipelineLoaderTests
{
    private static readonly HashSet<string> Services = ["language", "sentiment", "intent"];

    private static PipelineLoader CreateSut() =>
        new(Services, new PipelineDefaults(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));

    private const string Valid = """
        name: triage
        deadline: 800ms
        input:
          text: { type: string, maxLength: 100 }
          lang: { type: string, required: false }
        steps:
          - id: language
            service: language
            input: { text: $.input.text }
          - id: sentiment
            service: sentiment
            input: { text: $.input.text, lang: $.steps.language.label }
            required: false
            fallback: { label: unknown }
            timeout: 250ms
          - id: intent
            service: intent
            path: /v1/intent:classify
            after: [language]
            when: $.steps.language.label == 'en'
            input: { text: $.input.text, literal: 42, flag: true, quoted: "$.not.a.path" }
          - id: summary
            value:
              both: = $.steps.sentiment.label == 'negative' and $.steps.intent.label != null
        output:
          label: $.steps.sentiment.label
        """;

    [Fact]
    public void Load_ValidPipeline_InfersDependenciesStagesAndDefaults()
    {
        var sut = CreateSut().Load(Valid, "triage.yaml");

        Assert.Equal("triage", sut.Name);
        Assert.Equal(TimeSpan.FromMilliseconds(800), sut.Deadline);
        Assert.Equal(["language"], sut.Steps.Single(s => s.Id == "sentiment").DependsOn);
        Assert.Equal(["language"], sut.Steps.Single(s => s.Id == "intent").DependsOn);
        Assert.Equal(["intent", "sentiment"], sut.Steps.Single(s => s.Id == "summary").DependsOn);
        Assert.Equal([["language"], ["sentiment", "intent"], ["summary"]], sut.Stages.Select(s => s.ToArray()).ToArray());
        Assert.Equal("/v1/language", sut.Steps[0].Path);
        Assert.Equal("/v1/intent:classify", sut.Steps.Single(s => s.Id == "intent").Path);
        Assert.Equal(TimeSpan.FromMilliseconds(800), sut.Steps[0].Timeout); // the default (1 s) capped by the deadline
        Assert.Equal(TimeSpan.FromMilliseconds(250), sut.Steps.Single(s => s.Id == "sentiment").Timeout);
        Assert.False(sut.Input.Single(f => f.Name == "lang").Required);
        Assert.Equal(100, sut.Input.Single(f => f.Name == "text").MaxLength);
    }

    [Fact]
    public void Load_QuotedDollarString_IsALiteralNotAPath()
    {
        var sut = CreateSut().Load(Valid, "triage.yaml");

        var input = sut.Steps.Single(s => s.Id == "intent").Input.Describe()!;

        Assert.Equal("= $.input.text", input["text"]!.GetValue<string>());
        Assert.Equal(42, input["literal"]!.GetValue<long>());
        Assert.True(input["flag"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("steps:\n  - id: a\n    service: language\n    colour: red\nname: p\n", "p.yaml:4:5: unknown field 'colour' in step")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: weather\n", "p.yaml:4:14: step 'a' calls unknown service 'weather'")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n  - id: a\n    service: intent\n", "p.yaml:5:9: duplicate step id 'a'")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    input: { text: $.input.text == }\n", "bad expression: expression ends too early at column 16")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    input: { x: $.steps.b.y }\n  - id: b\n    service: intent\n    input: { x: $.steps.a.y }\n", "steps form a cycle: 'a' (line 3), 'b' (line 6)")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    after: [ghost]\n", "p.yaml:3:5: step 'a' reads or waits for unknown step 'ghost'")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    input: { x: $.steps.a.y }\n", "steps form a cycle: 'a' (line 3)")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    fallback: { x: 1 }\n", "p.yaml:5:15: step 'a' is required, so a fallback would never be used")]
    [InlineData("name: p\ndeadline: 1s\nsteps:\n  - id: a\n    service: language\n    timeout: 5s\n", "step 'a' timeout 5000 ms exceeds the pipeline deadline 1000 ms")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    timeout: soon\n", "p.yaml:5:14: 'timeout' must be a duration")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    timeout: 99999999999999999999s\n", "p.yaml:5:14: 'timeout' must be a duration")]
    [InlineData("name: p\ndeadline: NaNms\nsteps:\n  - id: a\n    service: language\n", "p.yaml:2:11: 'deadline' must be a duration")]
    [InlineData("name: P!\nsteps:\n  - id: a\n    service: language\n", "pipeline name 'P!' must match")]
    [InlineData("name: p\nsteps: []\n", "steps must be a non-empty list")]
    [InlineData("name: p\nsteps:\n  - id: a\n    value: 1\n    service: language\n", "step 'a' computes a value, so 'service' does not apply")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\noutput: { x: $.steps.nope.y }\n", "output reads unknown step 'nope'")]
    [InlineData("name: p\n  bad: indent\n", "invalid YAML")]
    [InlineData("name: p\ninput:\n  text: { type: string, minLength: 10, maxLength: 5 }\nsteps:\n  - id: a\n    service: language\n", "input field 'text': minLength (10) is above maxLength (5)")]
    [InlineData("name: p\nname: q\nsteps:\n  - id: a\n    service: language\n", "")]
    public void Load_InvalidPipeline_ReportsProblemWithLine(string yaml, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.True(error is PipelineValidationException or YamlDotNet.Core.YamlException, error.ToString());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    when: [false]\n", "p.yaml:5:11: step 'a' 'when' must be one expression")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    when: { x: 1 }\n", "p.yaml:5:11: step 'a' 'when' must be one expression")]
    [InlineData("name: p\ninput:\n  ? [a, b]\n  : string\nsteps:\n  - id: a\n    service: language\n", "p.yaml:3:5: keys in input must be plain names")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    input:\n      ? { k: v }\n      : 1\n", "p.yaml:6:9: keys in a mapping must be plain names")]
    [InlineData("name: p\ntables:\n  t:\n    ? [x]\n    : 1\nsteps:\n  - id: a\n    service: language\n", "p.yaml:4:7: keys in a table must be plain names")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\n    ? [x]\n    : 1\n", "p.yaml:5:7: keys in step must be plain names")]
    [InlineData("? [x]\n: 1\nname: p\nsteps:\n  - id: a\n    service: language\n", "p.yaml:1:3: keys in pipeline must be plain names")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: a..b\n", "p.yaml:4:14: step 'a' service 'a..b' gives the path '/v1/a..b', which is not a plain absolute path")]
    [InlineData("name: p\nsteps:\n  - id: a\n    value:\n      r: &r [ *r ]\n", "p.yaml:5:10: anchors (&r) are not supported")]
    [InlineData("name: p\nsteps:\n  - id: a\n    value:\n      r: &r [ *r ]\n", "p.yaml:5:15: aliases (*r) are not supported")]
    [InlineData("name: p\nsteps:\n  - &s { id: a, service: language }\n", "p.yaml:3:5: anchors (&s) are not supported")]
    [InlineData("name: p\nsteps:\n  - id: a\n    value:\n      r: \"x\\ud800\"\n", "p.yaml:5:10: invalid YAML")] // an unpaired surrogate is not text: YamlDotNet refuses the escape
    [InlineData("name: p\nsteps:\n  - id: a\n    value:\n      \"\\udc00\": 1\n", "p.yaml:5:7: invalid YAML")]
    public void Load_MalformedFile_LineNumberedValidationError(string yaml, string expected)
    {
        var error = Assert.Throws<PipelineValidationException>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.Contains(error.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_VeryDeepNesting_ValidationErrorNotStackOverflow()
    {
        var yaml = "name: p\nsteps:\n  - id: a\n    value: " + new string('[', 20_000) + new string(']', 20_000) + "\n";

        var error = Assert.Throws<PipelineValidationException>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:4:", StringComparison.Ordinal) && e.Contains($"nesting deeper than {PipelineLoader.MaxDepth} levels", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_NestingAtTheLimit_IsValid()
    {
        // The root mapping, the steps list and the step mapping are three levels.
        var depth = PipelineLoader.MaxDepth - 3;
        var yaml = "name: p\nsteps:\n  - id: a\n    value: " + new string('[', depth) + new string(']', depth) + "\n";

        var sut = CreateSut().Load(yaml, "p.yaml");

        Assert.Equal("a", sut.Steps.Single().Id);
    }

    [Fact]
    public void Load_AliasBomb_RefusedBeforeExpansion()
    {
        var yaml = new System.Text.StringBuilder("name: p\ntables:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var level = 1; level <= 9; level++)
        {
            yaml.Append($"  l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 9))}]\n");
        }

        yaml.Append("steps:\n  - id: a\n    value: $.tables.l9\n");

        var error = Assert.Throws<PipelineValidationException>(() => CreateSut().Load(yaml.ToString(), "p.yaml"));

        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:4:", StringComparison.Ordinal) && e.Contains("aliases (*l0) are not supported", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_SeveralProblems_ReportsEveryOne()
    {
        const string yaml = "name: p\nsteps:\n  - id: a\n    service: weather\n  - id: b\n    service: language\n    colour: red\n";

        var error = Assert.Throws<PipelineValidationException>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.Equal(2, error.Errors.Count);
    }

    [Fact]
    public void Load_HostileOrChain_ValidationErrorNotStackOverflow()
    {
        var when = string.Join(" or ", Enumerable.Repeat("$.input.t", 200_000));
        var yaml = $"name: p\nsteps:\n  - id: a\n    service: language\n    when: \"{when}\"\n";

        var error = Assert.Throws<PipelineValidationException>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.StartsWith("p.yaml:5:11: bad expression: more than 1000 terms joined by 'or' at column 13001 of \"…", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LongChainWrittenBackwards_OrdersEveryStepAfterItsDependency()
    {
        const int count = 5_000;
        var yaml = new System.Text.StringBuilder("name: p\nsteps:\n");
        for (var i = count - 1; i >= 0; i--)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - id: s{i}\n    value: {i}\n");
            if (i > 0)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"    after: [s{i - 1}]\n");
            }
        }

        var sut = CreateSut().Load(yaml.ToString(), "p.yaml");

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"s{i}"), sut.Steps.Select(s => s.Id));
        Assert.Equal(count, sut.Stages.Count);
    }

    [Fact]
    public void Load_CycleBehindAChain_NamesOnlyTheStepsLeftUnordered()
    {
        const string yaml = "name: p\nsteps:\n  - id: c\n    value: $.steps.b\n  - id: a\n    value: 1\n  - id: b\n    value: $.steps.a\n    after: [d]\n  - id: d\n    value: $.steps.c\n";

        var error = Assert.Throws<PipelineValidationException>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.Equal(["p.yaml:3:3: steps form a cycle: 'c' (line 3), 'b' (line 7), 'd' (line 10)"], error.Errors);
    }

    [Fact]
    public void LoadFile_ShippedSupportTriage_IsValid()
    {
        var path = RepositoryFile("pipelines/support-triage.yaml");
        var sut = new PipelineLoader(new HashSet<string>(["language", "sentiment", "intent"]), new PipelineDefaults(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)))
            .LoadFile(path);

        Assert.Equal("support-triage", sut.Name);
        Assert.Equal([["language"], ["sentiment", "intent"], ["reply"]], sut.Stages.Select(s => s.ToArray()).ToArray());
    }

    internal static string RepositoryFile(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relative);
    }
}
