using System.Text.Json;

namespace Lattice.Cli.Supervision;

/// <summary>
/// <c>&lt;data&gt;/state.json</c>, what <c>lattice status</c> reads: replaced whole (a temporary file, then a rename) on
/// every state change, its folder created again if it was removed. Best-effort: a write that fails (a full disk, a
/// reader holding the file on Windows) leaves the previous file, is logged once until a write succeeds again, and the
/// next change tries again. Callers serialise the writes.
/// </summary>
internal sealed class StateFile(string path, LogSink logs)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private bool _failing;

    /// <summary>
    /// Reads a state file for <c>lattice status</c>: null, with <paramref name="problem"/> saying why, when it is not
    /// JSON, or not a state (no replica list), as a hand edit, a crash in mid-write on a file system without atomic
    /// renames, or a file of another program leaves it.
    /// </summary>
    public static PlatformState? TryRead(string path, out string? problem)
    {
        try
        {
            var state = JsonSerializer.Deserialize<PlatformState>(File.ReadAllText(path), Json);
            problem = state is null ? "it holds null"
                : state.Replicas is null ? "it has no replica list"
                : state.Replicas.Any(r => r is null || r.Component is null) ? "a replica entry has no component"
                : null;
            return problem is null ? state : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
    }

    public void Write(PlatformState state)
    {
        var temporary = path + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!); // removed while lattice runs: made again
            File.WriteAllText(temporary, JsonSerializer.Serialize(state, Json));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!_failing)
            {
                _failing = true;
                logs.Supervisor($"could not write {path} ({e.Message}); `lattice status` shows an older state until a write succeeds");
            }

            return;
        }

        if (_failing)
        {
            _failing = false;
            logs.Supervisor($"{path} is written again");
        }
    }
}
