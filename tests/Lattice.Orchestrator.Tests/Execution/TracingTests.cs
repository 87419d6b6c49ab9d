using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Lattice.Orchestrator.Tests.Execution;

public sealed class TracingTests
{
    private const string Pipeline = """
        name: traced
        steps:
          - id: language
            service: language
            input: { text: $.input.text }
          - id: sentiment
            service: sentiment
            input: { text: $.input.text, language: $.steps.language.label }
        """;

    /// <summary>
    /// Runs the pipeline once under a listener that samples the orchestrator's spans as <paramref name="sampling"/>
    /// says; gives the spans of that run's trace.
    /// </summary>
    private static async Task<List<Activity>> RunTracedAsync(ActivitySamplingResult sampling, string traceFlags)
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Lattice.Orchestrator",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var harness = await OrchestratorHarness.StartAsync(Pipeline, "language", "sentiment");
        using var client = harness.CreateClient();
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/pipelines/traced") { Content = JsonContent.Create(new { text = "hello" }) };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-{traceFlags}");

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        lock (spans)
        {
            return [.. spans.Where(s => s.TraceId == traceId)];
        }
    }

    [Fact]
    public async Task Run_RecordedTrace_HasARunSpanAndAStepSpanPerCallWithTheirTags()
    {
        var mine = await RunTracedAsync(ActivitySamplingResult.AllDataAndRecorded, traceFlags: "01");

        var run = Assert.Single(mine, s => s.OperationName == "pipeline traced");
        Assert.Equal("traced", run.GetTagItem("lattice.pipeline"));
        Assert.Equal("ok", run.GetTagItem("lattice.pipeline.outcome"));
        Assert.Matches("^[0-9a-f]{32}$", (string)run.GetTagItem("lattice.run_id")!);
        var sentiment = Assert.Single(mine, s => s.OperationName == "step sentiment");
        Assert.Equal("sentiment", sentiment.GetTagItem("lattice.step"));
        Assert.Equal("sentiment", sentiment.GetTagItem("lattice.service"));
        Assert.Equal("7", sentiment.GetTagItem("lattice.model_version"));
        Assert.Equal(run.SpanId, sentiment.ParentSpanId);
        Assert.Single(mine, s => s.OperationName == "step language");
    }

    [Fact]
    public async Task Run_PropagationOnlyTrace_SpansCarryNoTags()
    {
        var mine = await RunTracedAsync(ActivitySamplingResult.PropagationData, traceFlags: "00");

        // The spans exist (the trace id still flows to every step call) but nothing is spent on tags no one exports.
        Assert.Contains(mine, s => s.OperationName == "pipeline traced");
        Assert.Equal(2, mine.Count(s => s.OperationName.StartsWith("step ", StringComparison.Ordinal)));
        Assert.All(mine, s => Assert.Empty(s.TagObjects));
    }
}
