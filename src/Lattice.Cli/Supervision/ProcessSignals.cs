using System.Runtime.InteropServices;

namespace Lattice.Cli.Supervision;

/// <summary>Sends POSIX signals; .NET can only SIGKILL a child, and a clean stop needs SIGTERM.</summary>
internal static partial class ProcessSignals
{
    public const int SigTerm = 15;

    /// <summary>Asks a process to stop; false when it is already gone or signals are not available.</summary>
    public static bool Terminate(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        return Kill(pid, SigTerm) == 0;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
