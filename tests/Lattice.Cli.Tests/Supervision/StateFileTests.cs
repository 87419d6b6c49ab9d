using System.Text.Json;
using Lattice.Cli.Supervision;

namespace Lattice.Cli.Tests.Supervision;

public sealed class StateFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lattice-state-").FullName;
    private readonly StringWriter _console = new();

    [Fact]
    public void Write_FailsThenSucceedsThenFails_LogsEachRunOfFailuresOnceAndWritesWhenItCan()
    {
        using var logs = new LogSink(Path.Combine(_folder, "logs"), _console);
        var path = Path.Combine(_folder, Supervisor.StateFileName);
        var sut = new StateFile(path, logs);
        // A folder where the temporary file goes: every write fails (UnauthorizedAccessException) until it is removed.
        var blocker = Directory.CreateDirectory(path + ".tmp");

        sut.Write(State(restarts: 1));
        sut.Write(State(restarts: 2));
        Assert.False(File.Exists(path));
        blocker.Delete();
        sut.Write(State(restarts: 3));
        var written = RestartsIn(path);
        blocker.Create();
        sut.Write(State(restarts: 4));

        Assert.Equal(3, written);
        var log = File.ReadAllLines(logs.SupervisorFile);
        Assert.Equal(2, log.Count(l => l.Contains($"could not write {path}", StringComparison.Ordinal)));
        Assert.Single(log, l => l.EndsWith($"{path} is written again", StringComparison.Ordinal));
        // The last failed write left the previous file as it was.
        Assert.Equal(3, RestartsIn(path));
    }

    [Theory]
    [InlineData("{garbage")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"supervisorPid\": -5, \"replicas\": null}")]
    [InlineData("{\"supervisorPid\": 1, \"replicas\": [null]}")]
    [InlineData("")]
    public void TryRead_NotAState_IsNullWithAReason(string text)
    {
        // lattice status crashed on each of these (JsonException, NullReferenceException) with a stack trace.
        var path = Path.Combine(_folder, Supervisor.StateFileName);
        File.WriteAllText(path, text);

        var state = StateFile.TryRead(path, out var problem);

        Assert.Null(state);
        Assert.False(string.IsNullOrWhiteSpace(problem));
    }

    [Fact]
    public void TryRead_AWrittenState_ReadsItBack()
    {
        using var logs = new LogSink(Path.Combine(_folder, "logs"), _console);
        var path = Path.Combine(_folder, Supervisor.StateFileName);
        new StateFile(path, logs).Write(State(restarts: 7));

        var state = StateFile.TryRead(path, out var problem);

        Assert.Null(problem);
        Assert.Equal(7, Assert.Single(state!.Replicas).Restarts);
    }

    [Fact]
    public void Write_DiskFull_DoesNotThrowAndSaysWhy()
    {
        Assert.SkipUnless(File.Exists("/dev/full"), "Needs /dev/full, where every write fails as on a full disk.");
        using var logs = new LogSink(Path.Combine(_folder, "logs"), _console);
        var path = Path.Combine(_folder, Supervisor.StateFileName);
        File.CreateSymbolicLink(path + ".tmp", "/dev/full");
        var sut = new StateFile(path, logs);

        sut.Write(State(restarts: 1));

        Assert.False(File.Exists(path));
        Assert.Contains("No space left on device", File.ReadAllText(logs.SupervisorFile), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_DataFolderRemoved_CreatesItAgain()
    {
        using var logs = new LogSink(Path.Combine(_folder, "logs"), _console);
        var data = Path.Combine(_folder, "data");
        var path = Path.Combine(data, Supervisor.StateFileName);
        var sut = new StateFile(path, logs);
        sut.Write(State(restarts: 1));
        Directory.Delete(data, recursive: true); // a user cleaning up while lattice runs

        sut.Write(State(restarts: 2));

        Assert.Equal(2, RestartsIn(path));
        Assert.False(File.Exists(logs.SupervisorFile), "nothing failed, so lattice had nothing to say");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static int RestartsIn(string path) =>
        JsonSerializer.Deserialize<PlatformState>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))!.Replicas.Single().Restarts;

    private static PlatformState State(int restarts) =>
        new(4242, "http://127.0.0.1:5000/", DateTimeOffset.UnixEpoch, [new ReplicaState("sentiment", 0, 5102, 4343, ReplicaPhase.Ready, restarts, null, null)]);
}
