namespace Lattice.Cli.Supervision;

/// <summary>
/// <c>&lt;data&gt;/lattice.lock</c>, held open without sharing while <c>lattice up</c> runs, so a second <c>lattice up</c>
/// on the same data folder (another lattice.yaml with other ports, say) is refused instead of taking over state.json,
/// the logs and the gateway's key store. .NET takes an advisory <c>flock</c> for <see cref="FileShare.None"/> on Unix:
/// the lock goes with the process, also when it is killed.
/// </summary>
internal sealed class DataFolderLock : IDisposable
{
    public const string FileName = "lattice.lock";

    private readonly FileStream _file;

    private DataFolderLock(FileStream file) => _file = file;

    /// <summary>The lock, or null when another process holds it. The folder must exist.</summary>
    public static DataFolderLock? TryAcquire(string dataFolder)
    {
        var path = Path.Combine(dataFolder, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null; // held by another lattice up
        }

        file.SetLength(0);
        using (var writer = new StreamWriter(file, leaveOpen: true))
        {
            writer.Write(Environment.ProcessId); // for people looking: which process holds it
        }

        file.Flush();
        return new DataFolderLock(file);
    }

    public void Dispose() => _file.Dispose();
}
