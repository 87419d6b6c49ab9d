using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lattice.Cli.Supervision;

namespace Lattice.IntegrationTests;

/// <summary>
/// The platform as a user runs it: <c>lattice up</c> starting the gateway, the orchestrator and the services as
/// separate processes; calls go through the gateway with the admin key the supervisor printed.
/// </summary>
public sealed class PlatformTests
{
    private static readonly object Message = new { text = "My card still has not arrived and I am really annoyed about it" };

    private static async Task<JsonElement> TriageAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var response = await client.PostAsJsonAsync("api/pipelines/support-triage", Message, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task WarmUpAsync(HttpClient client, PlatformProcess platform, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var response = await client.PostAsJsonAsync("api/pipelines/support-triage", Message, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode && Degraded(JsonDocument.Parse(body).RootElement).Length == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The platform did not answer a complete run within 60 s; last: {(int)response.StatusCode} {body}\n{platform.Output}");
            }
        }
    }

    private static string[] Degraded(JsonElement run) => [.. run.GetProperty("degraded").EnumerateArray().Select(e => e.GetString()!)];

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, PlatformProcess platform)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.\n{platform.Output}");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task SupportTriage_ServiceAndGatewayKilled_DegradesRestartsAndRecovers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await PlatformProcess.StartAsync(["language", "sentiment", "intent"], ct);
        using var client = platform.CreateClient();

        // 1. End to end through the gateway with a key. The very first calls pay for JIT and new connections in
        //    four processes, which on a busy machine can exceed a step's timeout, so warm up first.
        await WarmUpAsync(client, platform, ct);
        var complete = await TriageAsync(client, ct);
        Assert.Empty(Degraded(complete));
        Assert.Equal("en", complete.GetProperty("output").GetProperty("language").GetString());
        Assert.False(string.IsNullOrEmpty(complete.GetProperty("output").GetProperty("reply").GetString()));
        // A compressed body passes the gateway as it came and is decoded by the service (or orchestrator) behind it.
        foreach (var path in new[] { "api/sentiment/v1/sentiment", "api/pipelines/support-triage" })
        {
            using var gzip = Lattice.Testing.CompressedBody.Json("""{"text": "The support team was wonderful"}""", ["gzip"]);
            var compressed = await client.PostAsync(path, gzip, ct);
            Assert.True(compressed.StatusCode == HttpStatusCode.OK, $"{path}: {(int)compressed.StatusCode} {await compressed.Content.ReadAsStringAsync(ct)}");
        }

        using (var anonymous = new HttpClient { BaseAddress = platform.Gateway })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("api/pipelines/support-triage", Message, ct)).StatusCode);
        }

        // 2. Kill sentiment: the pipeline still answers, degraded, within its deadline.
        var sentiment = platform.Replica("sentiment");
        using (var victim = System.Diagnostics.Process.GetProcessById(sentiment.Pid!.Value))
        {
            victim.Kill();
            await victim.WaitForExitAsync(ct);
        }

        var degraded = await TriageAsync(client, ct);
        Assert.Equal(["sentiment"], Degraded(degraded));
        Assert.True(degraded.GetProperty("durationMs").GetDouble() < 1500, "the degraded run must finish within the pipeline deadline");

        // 3. The supervisor restarts it, and later calls are complete again.
        await WaitUntilAsync(
            () => platform.Replica("sentiment") is { Restarts: >= 1, Phase: ReplicaPhase.Ready } r && r.Pid != sentiment.Pid,
            TimeSpan.FromSeconds(60), "sentiment to be restarted and ready", platform);
        JsonElement recovered = default;
        await WaitUntilAsync(() =>
        {
            recovered = TriageAsync(client, ct).GetAwaiter().GetResult();
            return Degraded(recovered).Length == 0;
        }, TimeSpan.FromSeconds(30), "a complete run after the restart", platform);
        Assert.Equal("ok", recovered.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "sentiment").GetProperty("status").GetString());

        // 4. Kill the gateway: it is restarted too.
        var gateway = platform.Replica("gateway");
        using (var victim = System.Diagnostics.Process.GetProcessById(gateway.Pid!.Value))
        {
            victim.Kill();
            await victim.WaitForExitAsync(ct);
        }

        await WaitUntilAsync(
            () => platform.Replica("gateway") is { Restarts: >= 1, Phase: ReplicaPhase.Ready } r && r.Pid != gateway.Pid,
            TimeSpan.FromSeconds(60), "the gateway to be restarted and ready", platform);
        Assert.Empty(Degraded(await TriageAsync(client, ct)));
    }

    [Fact]
    public async Task Shutdown_Sigterm_LeavesNoChildProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await PlatformProcess.StartAsync(["language", "sentiment", "intent"], ct);
        var children = platform.State().Replicas.Select(r => r.Pid!.Value).ToList();
        Assert.All(children, pid => Assert.True(PlatformProcess.IsAlive(pid)));

        var stopped = await platform.StopAsync(TimeSpan.FromSeconds(60));

        Assert.True(stopped, "lattice up did not exit after SIGTERM:\n" + platform.Output);
        Assert.All(children, pid => Assert.False(PlatformProcess.IsAlive(pid), $"child {pid} outlived the supervisor"));
    }

    [Fact]
    public async Task SupervisorKilled_ChildrenStopThemselves()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await PlatformProcess.StartAsync(["language", "sentiment", "intent"], ct);
        var children = platform.State().Replicas.Select(r => r.Pid!.Value).ToList();

        using (var supervisor = System.Diagnostics.Process.GetProcessById(platform.SupervisorPid))
        {
            supervisor.Kill(); // SIGKILL: no chance to stop its children
            await supervisor.WaitForExitAsync(ct);
        }

        await WaitUntilAsync(() => children.All(pid => !PlatformProcess.IsAlive(pid)), TimeSpan.FromSeconds(30), "orphans to stop themselves", platform);
    }
}
