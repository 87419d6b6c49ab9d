using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

// Usage: Lattice.Bench.Load --url URL --rate RPS --duration SECONDS [--connections N] [--body JSON] [--header "Name: value"]...
// Prints one line: rate=... sent=... ok=... errors=... rps=... p50_ms=... p90_ms=... p99_ms=... max_ms=...
// Latency is measured from when a request was due, not when it was sent, so a stalled server shows up in the
// percentiles instead of silently lowering the rate (wrk2's correction, which plain wrk lacks).
var options = ParseArguments(args);
var url = new Uri(options.GetValueOrDefault("url") ?? throw new ArgumentException("--url is required"));
var rate = double.Parse(options.GetValueOrDefault("rate") ?? "100", CultureInfo.InvariantCulture);
var duration = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("duration") ?? "10", CultureInfo.InvariantCulture));
var warmup = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("warmup") ?? "2", CultureInfo.InvariantCulture));
var connections = int.Parse(options.GetValueOrDefault("connections") ?? "64", CultureInfo.InvariantCulture);
var body = options.GetValueOrDefault("body");
var headers = Headers.Values;

using var handler = new SocketsHttpHandler
{
    MaxConnectionsPerServer = connections,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    UseProxy = false,
    AllowAutoRedirect = false,
};
using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
var bodyBytes = body is null ? null : Encoding.UTF8.GetBytes(body);

async Task<bool> SendAsync()
{
    using var request = new HttpRequestMessage(bodyBytes is null ? HttpMethod.Get : HttpMethod.Post, url);
    if (bodyBytes is not null)
    {
        request.Content = new ByteArrayContent(bodyBytes);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    }

    foreach (var (name, value) in headers)
    {
        request.Headers.TryAddWithoutValidation(name, value);
    }

    try
    {
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        return response.IsSuccessStatusCode;
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
    {
        return false;
    }
}

// Warm up connections and JIT at the same rate, then measure.
await RunAsync(warmup, record: false);
var (latencies, errors, elapsed) = await RunAsync(duration, record: true);
Array.Sort(latencies);
double Percentile(double p) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"rate={rate:0} sent={latencies.Length + errors} ok={latencies.Length} errors={errors} rps={(latencies.Length + errors) / elapsed.TotalSeconds:0} p50_ms={Percentile(0.50):0.000} p90_ms={Percentile(0.90):0.000} p99_ms={Percentile(0.99):0.000} max_ms={(latencies.Length == 0 ? double.NaN : latencies[^1]):0.000}"));
return errors > (latencies.Length + errors) / 100 ? 1 : 0;

async Task<(double[] Latencies, int Errors, TimeSpan Elapsed)> RunAsync(TimeSpan length, bool record)
{
    var total = (int)(rate * length.TotalSeconds);
    var results = new double[total];
    var ok = new bool[total];
    var tasks = new Task[total];
    var interval = Stopwatch.Frequency / rate;
    var start = Stopwatch.GetTimestamp();
    // The schedule runs on its own thread and sleeps until each due time: it must not spin, since every cycle it
    // burns is taken from the servers it measures on the same cores. usleep wakes within about 0.1 ms of the due
    // time (Thread.Sleep's whole milliseconds added up to a millisecond to every latency); latency is measured from
    // the due time, so a late send still counts against the result.
    var scheduler = new Thread(() =>
    {
        for (var i = 0; i < total; i++)
        {
            var due = start + (long)(i * interval);
            long now;
            while ((now = Stopwatch.GetTimestamp()) < due)
            {
                NativeSleep.Microseconds((due - now) * 1_000_000 / Stopwatch.Frequency);
            }

            var index = i;
            tasks[i] = SendAsync().ContinueWith(send =>
            {
                ok[index] = send.Result;
                results[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
            }, TaskContinuationOptions.ExecuteSynchronously);
        }
    }) { IsBackground = true, Name = "load schedule" };
    scheduler.Start();
    await Task.Run(scheduler.Join);
    await Task.WhenAll(tasks);
    var elapsed = Stopwatch.GetElapsedTime(start);
    if (!record)
    {
        return ([], 0, elapsed);
    }

    var latencies = results.Where((_, i) => ok[i]).ToArray();
    return (latencies, total - latencies.Length, elapsed);
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        var name = args[i].TrimStart('-');
        if (name == "header")
        {
            var parts = args[i + 1].Split(':', 2, StringSplitOptions.TrimEntries);
            Headers.Values.Add((parts[0], parts[1]));
        }
        else
        {
            result[name] = args[i + 1];
        }
    }

    return result;
}

/// <summary>Request headers given with --header.</summary>
internal static class Headers
{
    public static List<(string Name, string Value)> Values { get; } = [];
}

/// <summary>Sub-millisecond sleep (Linux/macOS usleep; the benchmarks run on Linux).</summary>
internal static partial class NativeSleep
{
    public static void Microseconds(long microseconds)
    {
        if (microseconds > 0)
        {
            _ = USleep((uint)Math.Min(microseconds, 1_000_000));
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int USleep(uint microseconds);
}
