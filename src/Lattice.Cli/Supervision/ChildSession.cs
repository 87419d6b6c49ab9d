using System.Diagnostics;

namespace Lattice.Cli.Supervision;

/// <summary>
/// Starts a child in a session (and process group) of its own, through util-linux's <c>setsid</c>. A terminal sends
/// Ctrl+C's SIGINT (and Ctrl+\, Ctrl+Z) to its whole foreground process group: children sharing lattice's group
/// would all stop at once instead of in lattice's order. <c>setsid</c> execs the command without forking (a child
/// of lattice is never a group leader), so the pid lattice sees is the service's own.
/// </summary>
internal static class ChildSession
{
    /// <summary>Where <c>setsid</c> is; null where there is none (macOS, Windows): children then share lattice's group.</summary>
    public static string? SetsidPath { get; } = OperatingSystem.IsWindows() ? null : FindOnPath("setsid");

    /// <summary>Rewrites <paramref name="info"/> (which must use ArgumentList) to run its command through setsid.</summary>
    public static ProcessStartInfo Detach(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (SetsidPath is null || info.FileName == SetsidPath)
        {
            return info;
        }

        if (info.Arguments.Length > 0)
        {
            throw new ArgumentException("Pass the arguments in ArgumentList: setsid goes in front of them.", nameof(info));
        }

        info.ArgumentList.Insert(0, info.FileName);
        info.FileName = SetsidPath;
        return info;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
