using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Lattice.Shared;

/// <summary>
/// How <c>lattice up</c> names itself to its children and to <c>lattice status</c>: its pid and its start stamp, passed
/// as <see cref="PidVariable"/> and <see cref="StartVariable"/> (and kept in <c>state.json</c>). Together they tell the
/// supervisor from a process that took its pid over after it died. Compiled into both the CLI and ServiceDefaults,
/// which share no assembly, so the two sides of the contract cannot drift apart.
/// </summary>
internal static class SupervisorIdentity
{
    public const string PidVariable = "LATTICE_SUPERVISOR_PID";
    public const string StartVariable = "LATTICE_SUPERVISOR_START";

    /// <summary>
    /// How far two reads of one process's stamp may differ: none on Linux, where both are the same number read from the
    /// kernel; a second elsewhere, where they are times converted from the system's record.
    /// </summary>
    public static long StartTolerance { get; } = OperatingSystem.IsLinux() ? 0 : 1000;

    /// <summary>This process's <see cref="StartStamp"/>.</summary>
    public static long OwnStartStamp { get; } = ReadOwnStartStamp();

    /// <summary>
    /// True while process <paramref name="pid"/> runs and, when <paramref name="startStamp"/> is known, started then
    /// (within <see cref="StartTolerance"/>). A start the system will not tell leaves the pid alone to decide.
    /// </summary>
    public static bool IsRunning(int pid, long? startStamp)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && (startStamp is not { } expected || Math.Abs(StartStamp(process) - expected) <= StartTolerance);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false; // no such process, or it exited while we looked
        }
        catch (Win32Exception)
        {
            return true; // its start is not ours to read
        }
    }

    /// <summary>
    /// When <paramref name="process"/> started, as a number a step of the wall clock does not move. On Linux, its start
    /// in clock ticks since boot (<c>/proc/&lt;pid&gt;/stat</c>, field 22): .NET's <see cref="Process.StartTime"/> there
    /// adds those ticks to a boot time derived from the current wall clock, so after the clock is stepped (NTP, a resumed
    /// VM) every reader would get another start time for the supervisor than the one it passed. Elsewhere, Unix
    /// milliseconds of the start time the system recorded.
    /// </summary>
    public static long StartStamp(Process process)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new DateTimeOffset(process.StartTime).ToUnixTimeMilliseconds();
        }

        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{process.Id}/stat");
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Process {process.Id} has exited.", e);
        }

        // Field 2, the command, is in parentheses and may hold spaces and ')': the fields after it follow the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[22 - 3], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static long ReadOwnStartStamp()
    {
        using var self = Process.GetCurrentProcess();
        return StartStamp(self);
    }
}
