using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lattice.Cli.Platform;

namespace Lattice.Cli.Supervision;

/// <summary>
/// Where the children's output goes: every line to <c>&lt;data&gt;/logs/&lt;replica&gt;.log</c> as written, and to
/// the terminal prefixed by the replica's name (JSON log lines rendered as one readable line). While the
/// startup display is on screen only warnings and errors are kept for the terminal, and shown after it.
/// A multi-line message or exception keeps all its lines (stack frames aside), each prefixed. A plain (not JSON)
/// line on a child's stderr counts as an error. Writing a file is best-effort, and files are rotated by size (see
/// <see cref="LogFile"/>): nothing here throws at the supervision loop or at a child's output reader.
/// </summary>
internal sealed partial class LogSink : IDisposable
{
    // Levels as ranked by Render: Trace 0 ... Critical 5; FileOnly is never shown on the terminal.
    internal const int InformationLevel = 2;
    internal const int WarningLevel = 3;
    internal const int ErrorLevel = 4;
    private const int FileOnly = -1;

    /// <summary>Warnings and errors kept for the terminal during startup, at most; the log files keep every line.</summary>
    internal const int MaxHeldLines = 500;

    private readonly string _folder;
    private readonly TextWriter _console;
    private readonly LogRotation _rotation;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, LogFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _held = new();
    private int _heldCount;
    private int _heldDropped;
    private readonly Lock _consoleLock = new();
    private volatile bool _live;

    public LogSink(string folder, TextWriter console, LogRotation? rotation = null, TimeProvider? timeProvider = null)
    {
        _folder = folder;
        _console = console;
        _rotation = rotation ?? LogRotation.Default;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Directory.CreateDirectory(folder);
    }

    /// <summary>Once true, child lines go to the terminal as they come.</summary>
    public bool Live
    {
        get => _live;
        set
        {
            _live = value;
            if (value)
            {
                while (_held.TryDequeue(out var line))
                {
                    WriteConsole(line);
                }

                if (Interlocked.Exchange(ref _heldDropped, 0) is var dropped and > 0)
                {
                    WriteConsole($"{"lattice",-14} | {dropped} more warnings and errors during startup are only in the log files in {_folder}");
                }
            }
        }
    }

    /// <summary>Show only lines at this level or above on the terminal (files get everything).</summary>
    public int MinimumConsoleLevel { get; set; } = InformationLevel;

    public string FileOf(ReplicaPlan replica) => Path.Combine(_folder, replica.DisplayName.Replace('#', '-') + ".log");

    /// <summary>A line the child wrote to stdout.</summary>
    public void Child(ReplicaPlan replica, string line) => Write(replica, line, Render(line));

    /// <summary>
    /// A line the child wrote to stderr. What a child writes there before its logging is set up (the dotnet host's
    /// errors, a bad setting, an unhandled exception) is plain text: shown as an error, so it is not kept from the
    /// terminal during startup; its stack frames, as for JSON exceptions, only go to the file.
    /// </summary>
    public void ChildError(ReplicaPlan replica, string line) =>
        Write(replica, line, StackFrame().IsMatch(line) ? (FileOnly, line) : Render(line, plainLevel: ErrorLevel));

    private void Write(ReplicaPlan replica, string line, (int Level, string Text) shown)
    {
        Append(FileOf(replica), line);
        var (level, rendered) = shown;
        // Every line of a multi-line message or exception gets the prefix, and they are written together.
        var prefix = $"{replica.DisplayName,-14} | ";
        var text = prefix + rendered.ReplaceLineEndings(Environment.NewLine + prefix);
        if (_live)
        {
            if (level >= MinimumConsoleLevel)
            {
                WriteConsole(text);
            }
        }
        else if (level >= WarningLevel)
        {
            Hold(text);
        }
    }

    /// <summary>Keeps a line for the terminal until startup ends; past <see cref="MaxHeldLines"/> only counts it (a child
    /// that floods stderr while starting must not fill lattice's memory).</summary>
    private void Hold(string text)
    {
        if (Interlocked.Increment(ref _heldCount) <= MaxHeldLines)
        {
            _held.Enqueue(text);
        }
        else
        {
            Interlocked.Increment(ref _heldDropped);
        }
    }

    /// <summary>A line of lattice's own: to <c>lattice.log</c> and the terminal (held during startup).</summary>
    public void Supervisor(string message)
    {
        Append(SupervisorFile, $"{DateTimeOffset.UtcNow:O} {message}");
        Show(message);
    }

    /// <summary>Where <see cref="Supervisor(string)"/> writes.</summary>
    public string SupervisorFile => Path.Combine(_folder, "lattice.log");

    /// <summary>Appends to a file; when its writes start failing, when they work again, and when it was removed, lattice says so.</summary>
    private void Append(string path, string line)
    {
        if (_files.GetOrAdd(path, p => new LogFile(p, _rotation, _timeProvider)).Append(line) is not { } notice)
        {
            return;
        }

        // lattice.log's own failure can only be told on the terminal.
        if (path == SupervisorFile)
        {
            Show(notice);
        }
        else
        {
            Supervisor(notice);
        }
    }

    private void Show(string message)
    {
        var text = $"{"lattice",-14} | {DateTime.Now:HH:mm:ss} {message}";
        if (_live)
        {
            WriteConsole(text);
        }
        else
        {
            Hold(text);
        }
    }

    /// <summary>
    /// JSON lines (Lattice's console format) become "time level message"; anything else passes through, ranked
    /// <paramref name="plainLevel"/>.
    /// </summary>
    internal static (int Level, string Text) Render(string line, int plainLevel = InformationLevel)
    {
        if (!line.StartsWith('{'))
        {
            return (plainLevel, line);
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var level = root.TryGetProperty("level", out var l) ? l.GetString() ?? "Information" : "Information";
            var message = root.TryGetProperty("message", out var m) ? m.GetString() : line;
            var time = root.TryGetProperty("timestamp", out var t) && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, out var at)
                ? at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)
                : "--:--:--";
            var exception = root.TryGetProperty("exception", out var e) && e.GetString() is { Length: > 0 } text ? Environment.NewLine + WithoutStackTrace(text) : string.Empty;
            var rank = level switch
            {
                "Trace" => 0,
                "Debug" => 1,
                "Information" => InformationLevel,
                "Warning" => WarningLevel,
                "Error" => ErrorLevel,
                _ => 5,
            };
            return (rank, $"{time} {Abbreviate(level)} {message}{exception}");
        }
        catch (JsonException)
        {
            return (plainLevel, line);
        }
    }

    /// <summary>
    /// An exception's text with its stack frames left out: the message lines (a fatal error often has several, such
    /// as every invalid line of a pipeline file) and the inner exceptions stay; the frames are in the log file.
    /// </summary>
    internal static string WithoutStackTrace(string exception) =>
        string.Join(Environment.NewLine, exception.ReplaceLineEndings("\n").Split('\n').Where(l => l.Length > 0 && !StackFrame().IsMatch(l)));

    [GeneratedRegex(@"^\s+(at \S+\(.*\)( in .+:line \d+)?|--- End of .+ ---)$")]
    private static partial Regex StackFrame();

    private static string Abbreviate(string level) => level switch
    {
        "Information" => "info",
        "Warning" => "WARN",
        "Error" => "FAIL",
        "Critical" => "CRIT",
        "Debug" => "dbug",
        _ => "trce",
    };

    private void WriteConsole(string text)
    {
        lock (_consoleLock)
        {
            _console.WriteLine(text);
        }
    }

    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Dispose();
        }
    }
}
