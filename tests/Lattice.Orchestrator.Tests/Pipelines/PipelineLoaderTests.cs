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
    [InlineData("name: P!\nsteps:\n  - id: a\n    service: language\n", "pipeline name 'P!' must match")]
    [InlineData("name: p\nsteps: []\n", "steps must be a non-empty list")]
    [InlineData("name: p\nsteps:\n  - id: a\n    value: 1\n    service: language\n", "step 'a' computes a value, so 'service' does not apply")]
    [InlineData("name: p\nsteps:\n  - id: a\n    service: language\noutput: { x: $.steps.nope.y }\n", "output reads unknown step 'nope'")]
    [InlineData("name: p\n  bad: indent\n", "invalid YAML")]
    [InlineData("name: p\nname: q\nsteps:\n  - id: a\n    service: language\n", "")]
    public void Load_InvalidPipeline_ReportsProblemWithLine(string yaml, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.True(error is PipelineValidationException or YamlDotNet.Core.YamlException, error.ToString());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralProblems_ReportsEveryOne()
    {
        const string yaml = "name: p\nsteps:\n  - id: a\n    service: weather\n  - id: b\n    service: language\n    colour: red\n";

        var error = Assert.Throws<PipelineValidationException>(() => CreateSut().Load(yaml, "p.yaml"));

        Assert.Equal(2, error.Errors.Count);
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
