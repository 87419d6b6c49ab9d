using System.Text.Json;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;
using Lattice.Cli.Tests.Support;

namespace Lattice.Cli.Tests.Supervision;

public sealed class LogSinkTests : IDisposable
{
    private const string FatalError = """
        System.InvalidOperationException: Pipeline file /repo/pipelines is invalid:
          support-triage.yaml:4: step 'classify' calls unknown service 'sentimnt'
          support-triage.yaml:9: 'timeout' must be a duration
           at Lattice.Orchestrator.Pipelines.PipelineCatalog.Load(String folder) in /repo/src/Lattice.Orchestrator/Pipelines/PipelineCatalog.cs:line 42
           at Program.<Main>$(String[] args)
         ---> System.FormatException: bad duration
           --- End of inner exception stack trace ---
        """;

    private static readonly ReplicaPlan Spam = new("spam", 0, 5104);

    private readonly string _folder = Directory.CreateTempSubdirectory("lattice-logs-").FullName;
    private readonly StringWriter _console = new();

    [Fact]
    public void Render_ExceptionOfSeveralLines_KeepsEveryMessageLineAndDropsTheStackFrames()
    {
        var (level, text) = LogSink.Render(JsonLine("Critical", "Hosting failed to start", FatalError));

        Assert.Equal(5, level);
        var lines = text.Split(Environment.NewLine);
        Assert.EndsWith("CRIT Hosting failed to start", lines[0], StringComparison.Ordinal);
        Assert.Equal(
            [
                "System.InvalidOperationException: Pipeline file /repo/pipelines is invalid:",
                "  support-triage.yaml:4: step 'classify' calls unknown service 'sentimnt'",
                "  support-triage.yaml:9: 'timeout' must be a duration",
                " ---> System.FormatException: bad duration",
            ],
            lines[1..]);
    }

    [Fact]
    public void Child_FatalErrorDuringStartup_ShowsEveryLinePrefixedOnceLive()
    {
        using var sut = new LogSink(_folder, _console);
        var orchestrator = new ReplicaPlan("orchestrator", 0, 5870);

        sut.Child(orchestrator, JsonLine("Critical", "Hosting failed to start", FatalError));
        sut.Live = true;

        var shown = _console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, shown.Length);
        Assert.All(shown, line => Assert.StartsWith("orchestrator   | ", line, StringComparison.Ordinal));
        Assert.Contains(shown, line => line.EndsWith("support-triage.yaml:9: 'timeout' must be a duration", StringComparison.Ordinal));
        // The file keeps the raw JSON line, stack trace included.
        Assert.Contains("PipelineCatalog.cs:line 42", File.ReadAllText(sut.FileOf(orchestrator)), StringComparison.Ordinal);
    }

    [Fact]
    public void Child_PlainLine_PassesThroughPrefixed()
    {
        using var sut = new LogSink(_folder, _console) { Live = true };

        sut.Child(new ReplicaPlan("spam", 1, 5204), "plain output");

        Assert.Equal($"spam#1         | plain output{Environment.NewLine}", _console.ToString());
    }

    [Fact]
    public void ChildError_PlainLinesDuringStartup_ShownPrefixedOnceLiveWithoutStackFramesAndAllKeptInTheFile()
    {
        using var sut = new LogSink(_folder, _console);
        var gateway = new ReplicaPlan("gateway", 0, 5000);

        // What a child writes before its logging is set up: the runtime's report of an unhandled exception.
        sut.ChildError(gateway, "Unhandled exception. System.IO.InvalidDataException: appsettings.json: bad JSON at line 3");
        sut.ChildError(gateway, "   at Program.<Main>$(String[] args) in /repo/src/Lattice.Gateway/Program.cs:line 5");
        sut.Child(gateway, "plain progress on stdout");
        Assert.Empty(_console.ToString());
        sut.Live = true;

        Assert.Equal($"gateway        | Unhandled exception. System.IO.InvalidDataException: appsettings.json: bad JSON at line 3{Environment.NewLine}", _console.ToString());
        var file = File.ReadAllLines(sut.FileOf(gateway));
        Assert.Equal(3, file.Length);
        Assert.Contains("Program.cs:line 5", file[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ChildError_JsonLine_RankedByItsOwnLevel()
    {
        using var sut = new LogSink(_folder, _console);
        var gateway = new ReplicaPlan("gateway", 0, 5000);

        sut.ChildError(gateway, JsonLine("Information", "Now listening", string.Empty));
        sut.Live = true;

        Assert.Empty(_console.ToString());
    }

    [Fact]
    public void ChildError_FloodDuringStartup_TerminalGetsABoundedShareAndACount_FileGetsEveryLine()
    {
        using var sut = new LogSink(_folder, _console);
        var service = new ReplicaPlan("sentiment", 0, 5102);
        var lines = LogSink.MaxHeldLines + 100;

        for (var i = 0; i < lines; i++)
        {
            sut.ChildError(service, $"error line {i}");
        }

        sut.Live = true;

        var shown = _console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(LogSink.MaxHeldLines, shown.Count(l => l.Contains("error line", StringComparison.Ordinal)));
        Assert.Contains(shown, l => l.Contains("100 more warnings and errors during startup", StringComparison.Ordinal));
        sut.Dispose();
        Assert.Equal(lines, File.ReadAllLines(sut.FileOf(service)).Length);
    }

    [Fact]
    public void Supervisor_LogFileOnAFullDisk_DoesNotThrowShowsTheLineAndSaysOnceWhyTheFileMissesIt()
    {
        Assert.SkipUnless(File.Exists("/dev/full"), "Needs /dev/full, where every write fails as on a full disk.");
        using var sut = new LogSink(_folder, _console) { Live = true };
        File.CreateSymbolicLink(sut.SupervisorFile, "/dev/full");

        // Called from the restart loop: a throw would end the supervision of a replica.
        sut.Supervisor("sentiment (pid 42) exited with code 3");
        sut.Supervisor("sentiment (pid 43) exited with code 3");

        var shown = _console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, shown.Count(l => l.Contains("exited with code 3", StringComparison.Ordinal)));
        Assert.Single(shown, l => l.Contains($"cannot write {sut.SupervisorFile} (No space left on device", StringComparison.Ordinal));
    }

    [Fact]
    public void Child_LogFileFailsThenWorks_LatticeLogSaysWhenItFailedAndWhenItWorksAgain()
    {
        using var sut = new LogSink(_folder, _console);
        var gateway = new ReplicaPlan("gateway", 0, 5000);
        // A folder where the file goes: opening it fails (UnauthorizedAccessException) until it is removed.
        var blocker = Directory.CreateDirectory(sut.FileOf(gateway));

        // Called from a child's output reader: a throw there would end lattice.
        sut.Child(gateway, "lost 1");
        sut.ChildError(gateway, "lost 2");
        blocker.Delete();
        sut.Child(gateway, "kept");

        Assert.Equal(["kept"], File.ReadAllLines(sut.FileOf(gateway)));
        var log = File.ReadAllLines(sut.SupervisorFile);
        Assert.Equal(2, log.Length);
        Assert.Contains($"cannot write {sut.FileOf(gateway)}", log[0], StringComparison.Ordinal);
        Assert.EndsWith($"writing {sut.FileOf(gateway)} again", log[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Child_PastTheMaximumSize_RotatesKeepingMaxFilesWholeLinesAndNoneLostAmongTheKept()
    {
        using var sut = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: 2));

        WriteLines(sut, Spam, 45);

        // Ten lines fill a file exactly; the eleventh rotates it. Lines 0-19 went with the oldest file.
        var log = sut.FileOf(Spam);
        Assert.Equal(Lines(40, 5), File.ReadAllLines(log));
        Assert.Equal(Lines(30, 10), File.ReadAllLines(log + ".1"));
        Assert.Equal(Lines(20, 10), File.ReadAllLines(log + ".2"));
        Assert.Equal([log, log + ".1", log + ".2"], Directory.GetFiles(_folder).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void Child_MaxFilesLoweredSinceAnEarlierRun_RotationDeletesTheRotatedFilesPastIt(int maxFiles)
    {
        using (var earlierRun = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: 5)))
        {
            WriteLines(earlierRun, Spam, 60); // x.log, full, and x.log.1 to x.log.5
        }

        using var sut = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: maxFiles));
        WriteLines(sut, Spam, 1); // the file is full: this line rotates it

        var log = sut.FileOf(Spam);
        string[] expected = [log, .. Enumerable.Range(1, maxFiles).Select(i => $"{log}.{i}")];
        Assert.Equal(expected, Directory.GetFiles(_folder).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Child_FileAlreadyNearlyFull_CountsWhatItHeldAndRotatesOnTheFirstLine()
    {
        var before = new string('x', (9 * LineBytes) + 1);
        using (var previousRun = new LogSink(_folder, _console))
        {
            previousRun.Child(Spam, before);
        }

        using var sut = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: 1));
        sut.Child(Spam, Line(0));

        Assert.Equal([Line(0)], File.ReadAllLines(sut.FileOf(Spam)));
        Assert.Equal([before], File.ReadAllLines(sut.FileOf(Spam) + ".1"));
    }

    [Fact]
    public void Child_NoRotatedFilesKept_DeletesTheFullFileAndKeepsOnlyTheCurrentOne()
    {
        using var sut = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: 0));

        WriteLines(sut, Spam, 25);

        Assert.Equal(Lines(20, 5), File.ReadAllLines(sut.FileOf(Spam)));
        Assert.Equal([sut.FileOf(Spam)], Directory.GetFiles(_folder));
    }

    [Fact]
    public void Child_LineLongerThanTheMaximumSize_GetsAFileOfItsOwnUnsplit()
    {
        using var sut = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: 3));
        var huge = new string('x', 25 * LineBytes);

        sut.Child(Spam, Line(0));
        sut.Child(Spam, huge);
        sut.Child(Spam, Line(1));

        Assert.Equal([Line(1)], File.ReadAllLines(sut.FileOf(Spam)));
        Assert.Equal([huge], File.ReadAllLines(sut.FileOf(Spam) + ".1"));
        Assert.Equal([Line(0)], File.ReadAllLines(sut.FileOf(Spam) + ".2"));
    }

    [Fact]
    public void Child_LogsFolderRemovedWhileOpen_LinesAfterTheCheckIntervalGoToANewFileAndLatticeLogSaysSo()
    {
        var clock = new ManualClock();
        using var sut = new LogSink(_folder, _console, LogRotation.Default, clock);
        sut.Child(Spam, "before");

        Directory.Delete(_folder, recursive: true);
        clock.Advance(LogFile.CheckInterval);
        sut.Child(Spam, "after 1");
        sut.Child(Spam, "after 2");

        Assert.Equal(["after 1", "after 2"], File.ReadAllLines(sut.FileOf(Spam)));
        var log = Assert.Single(File.ReadAllLines(sut.SupervisorFile));
        Assert.EndsWith($"{sut.FileOf(Spam)} was removed; writing a new one", log, StringComparison.Ordinal);
    }

    [Fact]
    public void Child_FileMovedAwayAndCreatedAnew_LinesAfterTheCheckIntervalGoToTheNewFile()
    {
        // logrotate's default: rename x.log to x.log-20261123, create an empty x.log.
        var clock = new ManualClock();
        using var sut = new LogSink(_folder, _console, LogRotation.Default, clock);
        var log = sut.FileOf(Spam);
        sut.Child(Spam, "before");

        File.Move(log, log + "-20261123");
        File.WriteAllText(log, "");
        clock.Advance(LogFile.CheckInterval);
        sut.Child(Spam, "after");

        Assert.Equal(["before"], File.ReadAllLines(log + "-20261123"));
        Assert.Equal(["after"], File.ReadAllLines(log));
        Assert.EndsWith($"{log} was replaced or truncated; writing to it again", Assert.Single(File.ReadAllLines(sut.SupervisorFile)), StringComparison.Ordinal);
    }

    [Fact]
    public void Child_FileTruncatedUnderIt_CountsFromTheNewSizeForRotation()
    {
        // logrotate's copytruncate: the file is emptied in place. Its size restarts from zero, so the next rotation
        // comes after maxSize more bytes, not at once.
        var clock = new ManualClock();
        using var sut = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: 1), clock);
        var log = sut.FileOf(Spam);
        WriteLines(sut, Spam, 8);

        File.WriteAllText(log, "");
        clock.Advance(LogFile.CheckInterval);
        WriteLines(sut, Spam, 5);

        Assert.Equal(Lines(0, 5), File.ReadAllLines(log));
        Assert.False(File.Exists(log + ".1"));
    }

    [Fact]
    public void Child_LogsFolderRemovedAfterAFailedWrite_NextLineCreatesItAgain()
    {
        using var sut = new LogSink(_folder, _console) { Live = true };
        Directory.CreateDirectory(sut.FileOf(Spam));
        sut.Child(Spam, "lost");

        Directory.Delete(_folder, recursive: true);
        sut.Child(Spam, "kept");

        Assert.Equal(["kept"], File.ReadAllLines(sut.FileOf(Spam)));
        // On the terminal: lattice.log was removed too, and its open file is checked for that only once a second.
        Assert.Contains($"writing {sut.FileOf(Spam)} again", _console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Child_RotationFails_LinesStillGoToTheCurrentFile()
    {
        // x.log.1 cannot be replaced (here a folder in the way; on Windows, a viewer holding it open): the lines must
        // not all be lost while x.log itself is writable.
        using var sut = new LogSink(_folder, _console, new LogRotation(10 * LineBytes, MaxFiles: 1));
        Directory.CreateDirectory(Path.Combine(sut.FileOf(Spam) + ".1", "in-the-way"));

        WriteLines(sut, Spam, 15);

        Assert.Equal(Lines(0, 15), File.ReadAllLines(sut.FileOf(Spam)));
        var log = Assert.Single(File.ReadAllLines(sut.SupervisorFile));
        Assert.Contains($"cannot rotate {sut.FileOf(Spam)}", log, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Bytes of one <see cref="Line"/> in the file, its line end included.</summary>
    private static int LineBytes => Line(0).Length + Environment.NewLine.Length;

    private static void WriteLines(LogSink sut, ReplicaPlan replica, int count)
    {
        for (var i = 0; i < count; i++)
        {
            sut.Child(replica, Line(i));
        }
    }

    private static string Line(int i) => $"line {i:000}";

    private static string[] Lines(int first, int count) => [.. Enumerable.Range(first, count).Select(Line)];

    private static string JsonLine(string level, string message, string exception) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["timestamp"] = "2026-01-01T12:00:00+00:00",
        ["level"] = level,
        ["message"] = message,
        ["exception"] = exception.ReplaceLineEndings("\n"),
    });
}
