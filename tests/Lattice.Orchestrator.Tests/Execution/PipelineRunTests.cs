using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lattice.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Lattice.Orchestrator.Tests.Execution;

public sealed class PipelineRunTests
{
    private const string Triage = """
        name: triage
        deadline: 3s
        input:
          text: { type: string, minLength: 1, maxLength: 50 }
        steps:
          - id: language
            service: language
            input: { text: $.input.text }
          - id: sentiment
            service: sentiment
            input: { text: $.input.text, language: $.steps.language.label }
            timeout: 1s
            required: false
            fallback: { label: unknown, score: 0 }
          - id: intent
            service: intent
            after: [language]
            input: { text: $.input.text }
            timeout: 1s
            required: false
          - id: reply
            value:
              text: = coalesce($.tables.replies[$.steps.intent.label], 'default reply')
        output:
          language: $.steps.language.label
          sentiment: $.steps.sentiment.label
          intent: $.steps.intent.label
          reply: $.steps.reply.text
        tables:
          replies:
            intent-label: canned intent reply
        """;

    private static async Task<JsonElement> RunAsync(OrchestratorHarness harness, object input, HttpStatusCode expected)
    {
        using var client = harness.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/pipelines/triage", input, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static JsonElement Step(JsonElement run, string id) =>
        run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == id);

    [Fact]
    public async Task Run_AllServicesUp_MergesOutputsAndRecordsEveryStep()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("language-label", run.GetProperty("output").GetProperty("language").GetString());
        Assert.Equal("sentiment-label", run.GetProperty("output").GetProperty("sentiment").GetString());
        Assert.Equal("intent-label", run.GetProperty("output").GetProperty("intent").GetString());
        Assert.Equal("canned intent reply", run.GetProperty("output").GetProperty("reply").GetString());
        Assert.Empty(run.GetProperty("degraded").EnumerateArray());
        Assert.All(run.GetProperty("steps").EnumerateArray(), s => Assert.Equal("ok", s.GetProperty("status").GetString()));
        Assert.Equal("7", Step(run, "sentiment").GetProperty("version").GetString());
        Assert.Equal("language-label", harness.LastInputs["sentiment"]!["language"]!.GetValue<string>());
    }

    [Fact]
    public async Task Run_IndependentSteps_RunConcurrently()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        var sentimentStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var intentStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Each answers only once it has seen the other start: sequential execution would time both out.
        harness.Behaviours["sentiment"] = async (_, token) =>
        {
            sentimentStarted.TrySetResult();
            var together = await Task.WhenAny(intentStarted.Task, Task.Delay(900, token)) == intentStarted.Task;
            return Results.Json(new { label = together ? "parallel" : "sequential" });
        };
        harness.Behaviours["intent"] = async (_, token) =>
        {
            intentStarted.TrySetResult();
            var together = await Task.WhenAny(sentimentStarted.Task, Task.Delay(900, token)) == sentimentStarted.Task;
            return Results.Json(new { label = together ? "parallel" : "sequential" });
        };

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("parallel", run.GetProperty("output").GetProperty("sentiment").GetString());
        Assert.Equal("parallel", run.GetProperty("output").GetProperty("intent").GetString());
    }

    [Fact]
    public async Task Run_OptionalServiceDown_FallsBackAndIsDegraded()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        await harness.StopServiceAsync("sentiment");

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal(["sentiment"], run.GetProperty("degraded").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("unknown", run.GetProperty("output").GetProperty("sentiment").GetString());
        Assert.Equal("fallback", Step(run, "sentiment").GetProperty("status").GetString());
        Assert.Contains("connection", Step(run, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("ok", Step(run, "intent").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Run_OptionalStepWithoutFallbackFails_OutputNullAndDegraded()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["intent"] = (_, _) => Task.FromResult(Results.StatusCode(StatusCodes.Status422UnprocessableEntity));

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal(["intent"], run.GetProperty("degraded").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, run.GetProperty("output").GetProperty("intent").ValueKind);
        Assert.Equal("default reply", run.GetProperty("output").GetProperty("reply").GetString());
        Assert.Equal("failed", Step(run, "intent").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Run_OptionalStepTooSlow_TimesOutAndFallsBack()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["sentiment"] = async (_, token) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), token);
            return Results.Json(new { label = "late" });
        };

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("fallback", Step(run, "sentiment").GetProperty("status").GetString());
        Assert.Contains("no answer within 1000 ms", Step(run, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A JSON answer streamed in small chunks without a Content-Length, like a service that does not buffer.</summary>
    private static IResult Chunked(string json) => Results.Stream(async stream =>
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        for (var offset = 0; offset < bytes.Length; offset += 1000)
        {
            await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(1000, bytes.Length - offset)));
            await stream.FlushAsync();
        }
    }, "application/json");

    [Fact]
    public async Task Run_LargeChunkedAnswer_IsReadWhole()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        var label = new string('x', 100_000);
        harness.Behaviours["sentiment"] = (_, _) => Task.FromResult(Chunked($$"""{"label": "{{label}}", "score": 0.5}"""));

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("ok", Step(run, "sentiment").GetProperty("status").GetString());
        Assert.Equal(label, run.GetProperty("output").GetProperty("sentiment").GetString());
    }

    [Fact]
    public async Task Run_AnswerOverTheLimitWithoutLength_FallsBack()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["sentiment"] = (_, _) => Task.FromResult(Chunked($$"""{"label": "{{new string('x', 5 * 1024 * 1024)}}"}"""));

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("fallback", Step(run, "sentiment").GetProperty("status").GetString());
        Assert.Contains("exceeds 4194304 bytes", Step(run, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("unknown", run.GetProperty("output").GetProperty("sentiment").GetString());
    }

    [Theory]
    [InlineData("{\"label\": ")]
    [InlineData("")]
    [InlineData("{\"label\": \"a\"} trailing")]
    [InlineData("{\"label\": \"a\", \"label\": \"b\"}")]
    [InlineData("{\"nested\": {\"x\": 1, \"x\": 2}}")]
    public async Task Run_InvalidJsonAnswer_FallsBack(string answer)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["sentiment"] = (_, _) => Task.FromResult(Results.Text(answer, "application/json"));

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("fallback", Step(run, "sentiment").GetProperty("status").GetString());
        Assert.Contains("invalid JSON", Step(run, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Bodies whose strings are not text. Sent as Latin-1, so <c>\u00ff</c> in the C# string is the raw byte 0xFF (never
    /// UTF-8); <c>\\ud800</c> is the JSON escape of an unpaired surrogate.
    /// </summary>
    private static byte[] Latin1(string json) => System.Text.Encoding.Latin1.GetBytes(json);

    [Theory]
    [InlineData("{\"label\": \"\\ud800\"}", "'label' is not valid Unicode text")]
    [InlineData("{\"label\": \"a\\udc00b\"}", "'label' is not valid Unicode text")]
    [InlineData("{\"label\": \"\u00ff\u00fe\"}", "'label' is not valid Unicode text")]
    [InlineData("{\"label\": \"a\", \"version\": \"\\ud800\"}", "'version' is not valid Unicode text")]
    [InlineData("{\"label\": \"a\", \"detail\": {\"scores\": [1, \"\\ud800\"]}}", "'detail.scores[1]' is not valid Unicode text")]
    [InlineData("{\"label\": \"a\", \"\\ud800\": 1}", "'\\ud800' is a name that is not valid Unicode text")]
    [InlineData("{\"label\": \"a\", \"\u00ff\": 1}", "'\ufffd' is a name that is not valid Unicode text")]
    public async Task Run_OptionalStepAnswersStringThatIsNotText_FallsBack(string answer, string error)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["sentiment"] = (_, _) => Task.FromResult(Results.Bytes(Latin1(answer), "application/json"));

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("fallback", Step(run, "sentiment").GetProperty("status").GetString());
        Assert.Contains("sentiment answered invalid JSON: " + error, Step(run, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("unknown", run.GetProperty("output").GetProperty("sentiment").GetString());
        Assert.Equal(["sentiment"], run.GetProperty("degraded").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Run_OptionalStepWithoutFallbackAnswersStringThatIsNotText_FailsAndReadsAsNull()
    {
        // The value step reads intent's label as a table key: a decoded string would throw there.
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["intent"] = (_, _) => Task.FromResult(Results.Bytes(Latin1("{\"label\": \"\u00ff\"}"), "application/json"));

        var run = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.OK);

        Assert.Equal("failed", Step(run, "intent").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("output").GetProperty("intent").ValueKind);
        Assert.Equal("default reply", run.GetProperty("output").GetProperty("reply").GetString());
    }

    [Theory]
    [InlineData("{\"label\": \"\\ud800\"}")]
    [InlineData("{\"label\": \"\u00ff\u00fe\"}")]
    public async Task Run_RequiredStepAnswersStringThatIsNotText_502WithExecutionRecord(string answer)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["language"] = (_, _) => Task.FromResult(Results.Bytes(Latin1(answer), "application/json"));

        var problem = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.BadGateway);

        Assert.Equal("https://lattice.dev/problems/bad-gateway", problem.GetProperty("type").GetString());
        Assert.Contains("Required step 'language' failed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", Step(problem, "language").GetProperty("status").GetString());
        Assert.Contains("'label' is not valid Unicode text", Step(problem, "language").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("skipped", Step(problem, "sentiment").GetProperty("status").GetString());
        Assert.False(harness.LastInputs.ContainsKey("sentiment"));
    }

    [Fact]
    public async Task Run_RequiredStepFails_502ProblemWithExecutionRecord()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["language"] = (_, _) => Task.FromResult(Results.StatusCode(StatusCodes.Status500InternalServerError));

        var problem = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.BadGateway);

        Assert.Equal("https://lattice.dev/problems/bad-gateway", problem.GetProperty("type").GetString());
        Assert.Contains("Required step 'language' failed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", Step(problem, "language").GetProperty("status").GetString());
        Assert.Equal("skipped", Step(problem, "sentiment").GetProperty("status").GetString());
        Assert.False(harness.LastInputs.ContainsKey("sentiment"), "steps after a failed required step must not run");
    }

    [Fact]
    public async Task Run_RequiredStepAnswersDuplicateKeys_502WithExecutionRecord()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        harness.Behaviours["language"] = (_, _) => Task.FromResult(Results.Text("{\"label\": \"a\", \"label\": \"b\"}", "application/json"));

        var problem = await RunAsync(harness, new { text = "hello" }, HttpStatusCode.BadGateway);

        Assert.Equal("failed", Step(problem, "language").GetProperty("status").GetString());
        Assert.Contains("invalid JSON", Step(problem, "language").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("skipped", Step(problem, "sentiment").GetProperty("status").GetString());
    }

    /// <summary>Starts a run, hangs up once its call to <paramref name="service"/> is in flight, and waits until that call is aborted.</summary>
    private static async Task HangUpDuringStepAsync(OrchestratorHarness harness, HttpClient client, string service)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Behaviours[service] = HangUntilCancelled(started, aborted);
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var call = client.PostAsJsonAsync("/v1/pipelines/triage", new { }, hangUp.Token);
        await started.Task.WaitAsync(TestContext.Current.CancellationToken);
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Polls /metrics until <paramref name="count"/> runs are counted as cancelled (a run ends just after its aborted
    /// call; a generous bound, only to catch a hang) and returns the last scrape.
    /// </summary>
    private static async Task<string> CancelledRunsAsync(HttpClient client, int count)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
            var cancelled = metrics.Split('\n')
                .Where(l => l.StartsWith("lattice_pipeline_runs_total{", StringComparison.Ordinal) && l.Contains("outcome=\"cancelled\"", StringComparison.Ordinal))
                .Sum(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
            if (cancelled >= count || DateTime.UtcNow > until)
            {
                return metrics;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A service that reports its call, then never answers: its call can only end by being cancelled.</summary>
    private static Func<JsonNode?, CancellationToken, Task<IResult>> HangUntilCancelled(TaskCompletionSource started, TaskCompletionSource cancelled) =>
        async (_, token) =>
        {
            started.TrySetResult();
            using var registration = token.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, token);
            return Results.Ok();
        };

    [Fact]
    public async Task Run_RequiredStepFails_CancelsRunningSiblingsAndAnswersAtOnce()
    {
        // 'slow' answers only when its call is cancelled: without fail-fast the run would wait a whole minute
        // for its timeout and record it as a fallback.
        const string yaml = """
            name: triage
            deadline: 1m
            steps:
              - id: language
                service: language
                timeout: 1m
              - id: slow
                service: sentiment
                timeout: 1m
                required: false
                fallback: { label: unknown }
              - id: after_slow
                service: intent
                after: [slow]
            """;
        await using var harness = await OrchestratorHarness.StartAsync(yaml, "language", "sentiment", "intent");
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Behaviours["sentiment"] = HangUntilCancelled(slowStarted, slowCancelled);
        harness.Behaviours["language"] = async (_, _) =>
        {
            await slowStarted.Task; // fail only once the sibling is surely running
            return Results.StatusCode(StatusCodes.Status500InternalServerError);
        };

        var problem = await RunAsync(harness, new { }, HttpStatusCode.BadGateway);

        Assert.True(harness.LastInputs.ContainsKey("sentiment"), "the sibling was running (it can only end by being cancelled)");
        Assert.Contains("Required step 'language' failed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", Step(problem, "language").GetProperty("status").GetString());
        Assert.Equal("skipped", Step(problem, "slow").GetProperty("status").GetString());
        Assert.Contains("cancelled: required step 'language' failed", Step(problem, "slow").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("skipped", Step(problem, "after_slow").GetProperty("status").GetString());
        Assert.False(harness.LastInputs.ContainsKey("intent"));
        // The service sees its request aborted (a generous bound, only to catch a hang).
        await slowCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Run_RequiredStepTimesOut_504Problem()
    {
        const string yaml = "name: triage\ndeadline: 2s\nsteps:\n  - id: language\n    service: language\n    timeout: 200ms\n";
        await using var harness = await OrchestratorHarness.StartAsync(yaml, "language");
        harness.Behaviours["language"] = async (_, token) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), token);
            return Results.Ok();
        };

        var problem = await RunAsync(harness, new { }, HttpStatusCode.GatewayTimeout);

        Assert.Equal("https://lattice.dev/problems/gateway-timeout", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Run_StepTimeouts_CountAsUpstreamFailures_BreakerOpensAndLaterRunsFailFast()
    {
        // A hung service times steps out; the per-upstream breaker must count those timeouts (as it counts the
        // client's own attempt timeouts), so that once it opens, later runs take the fallback at once instead of
        // waiting out the step's timeout on every run.
        const string yaml = """
            name: triage
            steps:
              - id: sentiment
                service: sentiment
                timeout: 100ms
                required: false
                fallback: { label: unknown }
            """;
        await using var harness = await OrchestratorHarness.StartAsync(yaml, "sentiment");
        var calls = 0;
        harness.Behaviours["sentiment"] = async (_, token) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(Timeout.Infinite, token);
            return Results.Ok();
        };

        string? error = null;
        for (var i = 0; i < 30 && error?.Contains("circuit open", StringComparison.Ordinal) != true; i++)
        {
            var run = await RunAsync(harness, new { }, HttpStatusCode.OK);
            Assert.Equal("fallback", Step(run, "sentiment").GetProperty("status").GetString());
            error = Step(run, "sentiment").GetProperty("error").GetString();
        }

        Assert.Contains("circuit open", error, StringComparison.Ordinal);
        var callsWhenOpen = Volatile.Read(ref calls);
        var next = await RunAsync(harness, new { }, HttpStatusCode.OK);
        Assert.Contains("circuit open", Step(next, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(callsWhenOpen, Volatile.Read(ref calls));
    }

    /// <summary>One optional step whose call only its run can end (its timeout outlasts any test).</summary>
    private const string OptionalStepWithLongTimeout = """
        name: triage
        deadline: 1m
        steps:
          - id: sentiment
            service: sentiment
            timeout: 30s
            required: false
            fallback: { label: unknown }
        """;

    [Fact]
    public async Task Run_ClientHangsUpDuringHalfOpenProbe_CircuitDoesNotClose()
    {
        // A half-open probe that the run abandons (here the client hung up; a failed required sibling does the same)
        // proves nothing about the service. Polly 8 closes a half-open circuit on any outcome ShouldHandle does not
        // call a failure, a cancellation included: the circuit closed and every later run waited on the hung service.
        var settings = new Dictionary<string, string?>
        {
            ["Lattice:Http:Resilience:BreakerMinimumThroughput"] = "2",
            ["Lattice:Http:Resilience:BreakerDuration"] = "00:00:00.5",
        };
        await using var harness = await OrchestratorHarness.StartAsync(OptionalStepWithLongTimeout, settings, "sentiment");
        using var client = harness.CreateClient();

        // Open the circuit with 5xx answers.
        harness.Behaviours["sentiment"] = (_, _) => Task.FromResult(Results.StatusCode(StatusCodes.Status500InternalServerError));
        string? error = null;
        for (var i = 0; i < 30 && error?.Contains("circuit open", StringComparison.Ordinal) != true; i++)
        {
            error = Step(await RunAsync(harness, new { }, HttpStatusCode.OK), "sentiment").GetProperty("error").GetString();
        }

        Assert.Contains("circuit open", error, StringComparison.Ordinal);

        // The service now hangs; run until a call reaches it (the half-open probe), then hang up.
        var probeStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probeAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Behaviours["sentiment"] = HangUntilCancelled(probeStarted, probeAborted);
        for (var i = 0; i < 1000 && !probeStarted.Task.IsCompleted; i++)
        {
            using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var call = client.PostAsJsonAsync("/v1/pipelines/triage", new { }, hangUp.Token);
            if (await Task.WhenAny(call, probeStarted.Task) == probeStarted.Task)
            {
                await hangUp.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            }
            else
            {
                (await call).Dispose(); // refused while open ("circuit open"): try again once the break has passed
            }
        }

        Assert.True(probeStarted.Task.IsCompleted, "a half-open probe reached the service");
        await probeAborted.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // The run ends once the probe's outcome is in the breaker.
        var metrics = await CancelledRunsAsync(client, 1);

        var transitions = metrics.Split('\n').Where(l => l.StartsWith("lattice_http_client_circuit_transitions_total{", StringComparison.Ordinal)).ToList();
        Assert.Contains(transitions, l => l.Contains("state=\"half-open\"", StringComparison.Ordinal));
        Assert.DoesNotContain(transitions, l => l.Contains("state=\"closed\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_AbandonedCalls_AreNoVerdictOnAClosedCircuit_FailuresStillOpenIt()
    {
        // Calls a run stopped waiting for (the client hung up; fail fast and the deadline do the same) say nothing about
        // the service. Polly 8 counts whatever ShouldHandle does not call a failure as a success, so they diluted the
        // failure ratio: three hang-ups and two 500s (40 % failures) kept the circuit of a failing service closed.
        var settings = new Dictionary<string, string?>
        {
            ["Lattice:Http:Resilience:MaxRetryAttempts"] = "0",
            ["Lattice:Http:Resilience:BreakerMinimumThroughput"] = "2",
            ["Lattice:Http:Resilience:BreakerSamplingDuration"] = "00:05:00",
            ["Lattice:Http:Resilience:BreakerDuration"] = "00:05:00",
        };
        await using var harness = await OrchestratorHarness.StartAsync(OptionalStepWithLongTimeout, settings, "sentiment");
        using var client = harness.CreateClient();

        for (var i = 1; i <= 3; i++)
        {
            await HangUpDuringStepAsync(harness, client, "sentiment");
            await CancelledRunsAsync(client, i); // the call's outcome is with the breaker once the run is counted
        }

        var calls = 0;
        harness.Behaviours["sentiment"] = (_, _) =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(Results.StatusCode(StatusCodes.Status500InternalServerError));
        };
        for (var i = 0; i < 2; i++)
        {
            var failed = await RunAsync(harness, new { }, HttpStatusCode.OK);
            Assert.Contains("answered 500", Step(failed, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        var next = await RunAsync(harness, new { }, HttpStatusCode.OK);
        Assert.Contains("circuit open", Step(next, "sentiment").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task StepClient_HasNoTimeoutOfItsOwn_StepTimeoutsBoundEveryCall()
    {
        // HttpClient's default 100 s timeout would cut a step of a long pipeline with an unexpected cancellation.
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        var factory = harness.Orchestrator!.Services.GetRequiredService<IHttpClientFactory>();

        Assert.Equal(Timeout.InfiniteTimeSpan, factory.CreateClient(Lattice.Orchestrator.Execution.PipelineExecutor.HttpClientName).Timeout);
    }

    [Fact]
    public async Task Run_StepTimeoutAboveClientAttemptTimeout_HoldsAndCallsServiceOnce()
    {
        // The shared HttpClient cuts an attempt at 2 s by default; the step's own 4 s must win.
        const string yaml = "name: triage\ndeadline: 5s\nsteps:\n  - id: language\n    service: language\n    timeout: 4s\n";
        await using var harness = await OrchestratorHarness.StartAsync(yaml, "language");
        var calls = 0;
        harness.Behaviours["language"] = async (_, token) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(TimeSpan.FromMilliseconds(2500), token);
            return Results.Json(new { label = "slow" });
        };

        var run = await RunAsync(harness, new { }, HttpStatusCode.OK);

        Assert.Equal("ok", Step(run, "language").GetProperty("status").GetString());
        Assert.Equal("slow", run.GetProperty("output").GetProperty("language").GetProperty("label").GetString());
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Run_WhenConditionFalse_StepSkippedNotDegraded()
    {
        const string yaml = """
            name: triage
            steps:
              - id: language
                service: language
              - id: sentiment
                service: sentiment
                when: $.steps.language.label == 'en'
            """;
        await using var harness = await OrchestratorHarness.StartAsync(yaml, "language", "sentiment");

        var run = await RunAsync(harness, new { }, HttpStatusCode.OK);

        Assert.Equal("skipped", Step(run, "sentiment").GetProperty("status").GetString());
        Assert.Empty(run.GetProperty("degraded").EnumerateArray());
        Assert.False(harness.LastInputs.ContainsKey("sentiment"));
        Assert.Equal(JsonValueKind.Null, run.GetProperty("output").GetProperty("sentiment").ValueKind);
    }

    [Fact]
    public async Task Run_PipelineDeadline_CancelsSlowOptionalStep()
    {
        const string yaml = """
            name: triage
            deadline: 300ms
            steps:
              - id: language
                service: language
                timeout: 300ms
                required: false
                fallback: { label: xx }
            """;
        await using var harness = await OrchestratorHarness.StartAsync(yaml, "language");
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Behaviours["language"] = async (_, token) =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(10), token);
            }
            finally
            {
                cancelled.TrySetResult();
            }

            return Results.Ok();
        };

        var run = await RunAsync(harness, new { }, HttpStatusCode.OK);

        Assert.Equal("xx", run.GetProperty("output").GetProperty("language").GetProperty("label").GetString());
        Assert.Equal(["language"], run.GetProperty("degraded").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("{\"text\": 5}", "text", "must be of type string")]
    [InlineData("{}", "text", "is required")]
    [InlineData("{\"text\": \"this text is certainly longer than fifty characters in all\"}", "text", "at most 50")]
    [InlineData("{\"text\": \"\"}", "text", "must not be empty")]
    public async Task Run_InputNotMatchingDeclaredFields_400ValidationProblem(string body, string field, string message)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();

        var response = await client.PostAsync("/v1/pipelines/triage", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("https://lattice.dev/problems/validation", problem.GetProperty("type").GetString());
        Assert.Contains(message, problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(harness.LastInputs);
    }

    [Theory]
    [InlineData("{\"text\": \"\\ud800\"}", "text", "is not valid Unicode text")]
    [InlineData("{\"text\": \"a\\udc00b\"}", "text", "is not valid Unicode text")]
    [InlineData("{\"text\": \"\u00ff\u00fe\"}", "text", "is not valid Unicode text")]
    [InlineData("{\"text\": \"ok\", \"extra\": {\"tags\": [\"a\", \"\\ud800\"]}}", "extra.tags[1]", "is not valid Unicode text")]
    [InlineData("{\"text\": \"ok\", \"extra\": [{\"k\": \"\u00ff\"}]}", "extra[0].k", "is not valid Unicode text")]
    [InlineData("{\"text\": \"ok\", \"\\ud800\": 1}", "\\ud800", "is a name that is not valid Unicode text")]
    [InlineData("{\"text\": \"ok\", \"\u00ff\": 1}", "\ufffd", "is a name that is not valid Unicode text")]
    public async Task Run_InputStringThatIsNotText_400ValidationProblemNamingTheField(string body, string field, string message)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();
        var content = new ByteArrayContent(Latin1(body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await client.PostAsync("/v1/pipelines/triage", content, TestContext.Current.CancellationToken);

        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal("https://lattice.dev/problems/validation", problem.GetProperty("type").GetString());
        Assert.StartsWith(message, problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
        Assert.Contains($"'{field}' {message}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(harness.LastInputs);
    }

    [Fact]
    public async Task Run_MaxLength_CountsCharactersNotUtf16Units()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        var emoji = char.ConvertFromUtf32(0x1F600); // two UTF-16 units, one character

        await RunAsync(harness, new { text = string.Concat(Enumerable.Repeat(emoji, 50)) }, HttpStatusCode.OK);
        await RunAsync(harness, new { text = string.Concat(Enumerable.Repeat(emoji, 51)) }, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{\"text\": ", HttpStatusCode.BadRequest)]
    [InlineData("[1, 2]", HttpStatusCode.BadRequest)]
    [InlineData("{\"text\": \"a\", \"text\": \"b\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"text\": \"a\", \"extra\": {\"k\": 1, \"k\": 2}}", HttpStatusCode.BadRequest)]
    [InlineData("\"\\ud800\"", HttpStatusCode.BadRequest)]
    public async Task Run_MalformedBody_400Problem(string body, HttpStatusCode expected)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();

        var response = await client.PostAsync("/v1/pipelines/triage", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("application/json; charset=utf-16", true)]
    [InlineData("application/json; charset=\"UTF-16\"", true)]
    [InlineData("application/json;charset=iso-8859-1", true)]
    [InlineData("application/json; charset=UTF-8", false)]
    [InlineData("application/json; charset=us-ascii", false)]
    public async Task Run_BodyInAnotherCharset_415OnlyUtf8(string contentType, bool refused)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes("""{"text": "refund please"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await client.PostAsync("/v1/pipelines/triage", content, TestContext.Current.CancellationToken);

        if (refused)
        {
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal(ProblemTypes.UnsupportedMediaType, problem.GetProperty("type").GetString());
            Assert.Equal(ProblemTitles.UnsupportedMediaType, problem.GetProperty("title").GetString());
            Assert.StartsWith("Only UTF-8 JSON is accepted", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Empty(harness.LastInputs);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Run_DeeplyNestedBody_400NotCrash()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();
        var body = new string('[', 5000) + new string(']', 5000);

        var response = await client.PostAsync("/v1/pipelines/triage", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Run_PostWithoutBodyOrContentType_ReadAsEmptyInputNot415()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        var address = harness.Orchestrator!.BaseAddress;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, TestContext.Current.CancellationToken);
        await using var stream = tcp.GetStream();
        // HttpClient always sends Content-Length: 0 for a POST without content; a bare "curl -X POST" sends neither header.
        var head = $"POST /v1/pipelines/triage HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), TestContext.Current.CancellationToken);

        var answer = await new StreamReader(stream).ReadToEndAsync(TestContext.Current.CancellationToken);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        // The body may be chunked: its text is enough to see the input was read as {}.
        Assert.Contains("\"https://lattice.dev/problems/validation\"", answer, StringComparison.Ordinal);
        Assert.Contains("\"text\":[\"is required\"]", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ClientHangsUp_MeasuredAsCancelledNotAsDeadlineOrFailure()
    {
        const string yaml = """
            name: triage
            deadline: 1m
            steps:
              - id: language
                service: language
                timeout: 1m
                required: false
                fallback: { label: xx }
            """;
        await using var harness = await OrchestratorHarness.StartAsync(yaml, "language");
        using var client = harness.CreateClient();

        await HangUpDuringStepAsync(harness, client, "language");

        // The run ends just after the step's call is aborted.
        var metrics = await CancelledRunsAsync(client, 1);
        var runs = metrics.Split('\n').Where(l => l.StartsWith("lattice_pipeline_runs_total", StringComparison.Ordinal)).ToList();
        Assert.Contains(runs, l => l.Contains("outcome=\"cancelled\"", StringComparison.Ordinal));
        Assert.DoesNotContain(runs, l => l.Contains("outcome=\"degraded\"", StringComparison.Ordinal) || l.Contains("outcome=\"failed\"", StringComparison.Ordinal));
        Assert.DoesNotContain("lattice_pipeline_step_degraded_total{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BodyOverLimit_413Problem()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();
        var body = "{\"text\": \"" + new string('x', 2 * 1024 * 1024) + "\"}";

        var response = await client.PostAsync("/v1/pipelines/triage", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("Request body too large", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Run_ChunkedBodyOverLimit_413Problem()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{\"text\": \"" + new string('x', 2 * 1024 * 1024) + "\"}")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/pipelines/triage") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(harness.LastInputs);
    }

    [Fact]
    public async Task Run_ChunkedBodyLargerThanOneBuffer_IsReadWhole()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();
        var padding = new string('x', 100_000); // an undeclared field: ignored, but it must be read past
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { padding, text = "refund please" }))));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/pipelines/triage") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("refund please", harness.LastInputs["language"]!["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task Run_CompressedBody_IsDecodedLikeAPlainOne(string coding)
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();

        var response = await client.PostAsync("/v1/pipelines/triage", Lattice.Testing.CompressedBody.Json("""{"text": "refund please"}""", [coding]),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("refund please", harness.LastInputs["language"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Run_CompressedBodyRefused_415ForAnUnknownCoding_400ForBadBytes_413PastTheLimitOnceDecoded()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();
        var json = """{"text": "refund please"}""";

        var unknown = await client.PostAsync("/v1/pipelines/triage", Lattice.Testing.CompressedBody.Labelled(System.Text.Encoding.UTF8.GetBytes(json), "zstd"),
            TestContext.Current.CancellationToken);
        var bad = await client.PostAsync("/v1/pipelines/triage", Lattice.Testing.CompressedBody.Labelled(System.Text.Encoding.UTF8.GetBytes(json), "gzip"),
            TestContext.Current.CancellationToken);
        var bomb = await client.PostAsync("/v1/pipelines/triage", Lattice.Testing.CompressedBody.Json(json + new string(' ', 4 << 20), ["gzip"]),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unknown.StatusCode);
        Assert.Equal("gzip, deflate, br", string.Join(", ", unknown.Headers.GetValues("Accept-Encoding")));
        Assert.Contains("'zstd'", await unknown.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not valid gzip data", await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bomb.StatusCode);
        Assert.All([unknown, bad, bomb], r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        Assert.Equal("Unsupported content encoding", (await unknown.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("title").GetString());
        Assert.Equal("Request body too large", (await bomb.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("title").GetString());
        Assert.Empty(harness.LastInputs);
    }

    [Fact]
    public async Task Run_UnknownPipeline_404Problem()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/pipelines/nope", new { text = "x" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task List_Pipelines_ShowsDagEdgesAndStages()
    {
        await using var harness = await OrchestratorHarness.StartAsync(Triage, "language", "sentiment", "intent");
        using var client = harness.CreateClient();

        var list = await client.GetFromJsonAsync<JsonElement>("/v1/pipelines", TestContext.Current.CancellationToken);

        var pipeline = list.GetProperty("pipelines").EnumerateArray().Single();
        Assert.Equal("triage", pipeline.GetProperty("name").GetString());
        var edges = pipeline.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("from").GetString() + ">" + e.GetProperty("to").GetString()).ToList();
        Assert.Contains("language>sentiment", edges);
        Assert.Contains("intent>reply", edges);
        Assert.Equal(3, pipeline.GetProperty("stages").GetArrayLength());
    }
}
