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
