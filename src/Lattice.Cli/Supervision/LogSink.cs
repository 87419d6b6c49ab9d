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
/// A multi-line message or exception keeps all its lines (stack frames aside), each prefixed.
/// </summary>
internal sealed partial class LogSink : IDisposable
{
    private readonly string _folder;
    private readonly TextWriter _console;
    private readonly ConcurrentDictionary<string, StreamWriter> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _held = new();
    private readonly Lock _consoleLock = new();
    private volatile bool _live;

    public LogSink(string folder, TextWriter console)
    {
        _folder = folder;
        _console = console;
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
            }
        }
    }

    /// <summary>Show only lines at this level or above on the terminal (files get everything).</summary>
    public int MinimumConsoleLevel { get; set; } = 2;

    public string FileOf(ReplicaPlan replica) => Path.Combine(_folder, replica.DisplayName.Replace('#', '-') + ".log");

    public void Child(ReplicaPlan replica, string line)
    {
        var file = _files.GetOrAdd(replica.DisplayName, _ => new StreamWriter(new FileStream(FileOf(replica), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true });
        lock (file)
        {
            file.WriteLine(line);
        }

        var (level, rendered) = Render(line);
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
        else if (level >= 3)
        {
            _held.Enqueue(text);
        }
    }

    public void Supervisor(string message)
    {
        var text = $"{"lattice",-14} | {DateTime.Now:HH:mm:ss} {message}";
        var file = _files.GetOrAdd("lattice", _ => new StreamWriter(new FileStream(Path.Combine(_folder, "lattice.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true });
        lock (file)
        {
            file.WriteLine($"{DateTimeOffset.UtcNow:O} {message}");
        }

        if (_live)
        {
            WriteConsole(text);
        }
        else
        {
            _held.Enqueue(text);
        }
    }

    /// <summary>JSON lines (Lattice's console format) become "time level message"; anything else passes through.</summary>
    internal static (int Level, string Text) Render(string line)
    {
        if (!line.StartsWith('{'))
        {
            return (2, line);
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
                "Information" => 2,
                "Warning" => 3,
                "Error" => 4,
                _ => 5,
            };
            return (rank, $"{time} {Abbreviate(level)} {message}{exception}");
        }
        catch (JsonException)
        {
            return (2, line);
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
            lock (file)
            {
                file.Dispose();
            }
        }
    }
}
