using System.Text;
using Lattice.Cli.Platform;

namespace Lattice.Cli.Supervision;

/// <summary>
/// One log file, appended to best-effort: a line that cannot be written (a full disk, a removed logs folder) is lost
/// from the file instead of being thrown at the caller, the supervision loop or a child's output reader (where an
/// exception would end lattice). The file is opened again for the next line, its folder created again if need be.
/// <para>
/// Rotation, as Docker's json-file driver: a line that would take the file past <see cref="LogRotation.MaxBytes"/>
/// (counting what it held before lattice started) first moves it to <c>.1</c>, <c>.1</c> to <c>.2</c> and so on, the
/// oldest beyond <see cref="LogRotation.MaxFiles"/> deleted (with none kept, the full file is deleted), as are rotated files
/// past it that a run with a higher setting left. A line is never
/// split: one longer than the limit gets a file of its own. A rotation that fails leaves the lines going to the current
/// file, past the limit, and is tried again at most once per <see cref="CheckInterval"/>.
/// </para>
/// <para>
/// A file or folder removed while open would take lines to a deleted file for as long as it stays open, and a file
/// moved away and created anew (logrotate's default) would take them to the moved file, so at most once per
/// <see cref="CheckInterval"/> a line first checks that the path still holds at least what was written to it (not
/// every line: a stat each); if not, the path is opened again.
/// </para>
/// </summary>
internal sealed class LogFile(string path, LogRotation rotation, TimeProvider timeProvider) : IDisposable
{
    /// <summary>How often the open file is checked for having been removed.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    private static readonly int NewLineBytes = Utf8.GetByteCount(Environment.NewLine);

    private readonly Lock _lock = new();
    private StreamWriter? _writer;
    private long _length;
    private long _checkedAt;
    private long? _rotationFailedAt;
    private bool _failing;
    private bool _disposed;

    /// <summary>Appends a line; returns what to tell the terminal when a run of failed writes starts or ends, when the
    /// file was found removed, or when a rotation failed.</summary>
    public string? Append(string line)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return null;
            }

            string? notice = null; // the file was found removed, or a rotation failed
            try
            {
                if (_writer is not null && timeProvider.GetElapsedTime(_checkedAt) >= CheckInterval)
                {
                    _checkedAt = timeProvider.GetTimestamp();
                    var onDisk = new FileInfo(path);
                    if (!onDisk.Exists)
                    {
                        Close();
                        notice = $"{path} was removed; writing a new one";
                    }
                    else if (onDisk.Length < _length)
                    {
                        // Shorter than what was written to it: not the open file any more (logrotate's move-and-create)
                        // or truncated under it (copytruncate). Either way the path is where the lines belong.
                        Close();
                        notice = $"{path} was replaced or truncated; writing to it again";
                    }
                }

                var bytes = Utf8.GetByteCount(line) + NewLineBytes;
                _writer ??= Open();
                // A rotation that failed (a rotated file that cannot be replaced) is tried again at most once per
                // CheckInterval; meanwhile the lines go on to the current file, past the limit, rather than being lost.
                if (_length > 0 && _length + bytes > rotation.MaxBytes
                    && (_rotationFailedAt is not { } failedAt || timeProvider.GetElapsedTime(failedAt) >= CheckInterval))
                {
                    Close();
                    try
                    {
                        Rotate();
                        _rotationFailedAt = null;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        notice ??= _rotationFailedAt is null ? $"cannot rotate {path} ({e.Message}); writing on past its maximum size until it can" : null;
                        _rotationFailedAt = timeProvider.GetTimestamp();
                    }

                    _writer = Open();
                }

                _writer.WriteLine(line);
                _length += bytes;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Close();
                if (_failing)
                {
                    return null;
                }

                _failing = true;
                return $"cannot write {path} ({e.Message}); its lines are lost until a write succeeds";
            }

            if (!_failing)
            {
                return notice;
            }

            _failing = false;
            return $"writing {path} again";
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            Close();
        }
    }

    private StreamWriter Open()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // FileShare.Delete: on Windows too, the user may delete the logs folder while lattice runs.
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        // Append mode starts at the end: the position is what the file already held.
        _length = stream.Position;
        _checkedAt = timeProvider.GetTimestamp();
        return new StreamWriter(stream, Utf8) { AutoFlush = true };
    }

    /// <summary>
    /// x.log → x.log.1 → x.log.2 ...; the move onto the last kept number replaces the oldest. Rotated files past
    /// <see cref="LogRotation.MaxFiles"/>, left by a run with a higher setting, are deleted first (up to the highest
    /// setting allowed), so lowering the setting bounds the disk use as it says.
    /// </summary>
    private void Rotate()
    {
        for (var i = rotation.MaxFiles + 1; i <= LogRotation.MaxMaxFiles; i++)
        {
            File.Delete($"{path}.{i}"); // no error when there is none
        }

        if (rotation.MaxFiles == 0)
        {
            File.Delete(path);
            return;
        }

        for (var i = rotation.MaxFiles - 1; i >= 0; i--)
        {
            var from = i == 0 ? path : $"{path}.{i}";
            if (File.Exists(from))
            {
                File.Move(from, $"{path}.{i + 1}", overwrite: true);
            }
        }
    }

    private void Close()
    {
        try
        {
            _writer?.Dispose();
        }
        catch (IOException)
        {
            // Its last bytes could not be flushed: lost, as the line that failed.
        }

        _writer = null;
    }
}
