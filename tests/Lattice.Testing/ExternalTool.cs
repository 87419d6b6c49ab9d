using System.Diagnostics;

namespace Lattice.Testing;

/// <summary>
/// Runs a command-line tool the tests need (promtool, ...). When the tool is absent the test is
/// skipped locally but fails in CI, where <c>LATTICE_REQUIRE_TOOLS=1</c> says every tool must be there.
/// </summary>
public static class ExternalTool
{
    public static string Require(string name)
    {
        var path = Find(name);
        if (path is not null)
        {
            return path;
        }

        var message = $"'{name}' is not on PATH (install it; .ci/run does).";
        if (Environment.GetEnvironmentVariable("LATTICE_REQUIRE_TOOLS") == "1")
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
        return string.Empty;
    }

    public static string? Find(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs the tool with stdin, waits at most <paramref name="timeout"/> and kills it if it hangs.</summary>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(
        string path, IEnumerable<string> arguments, string? standardInput, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), timeoutSource.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeoutSource.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
