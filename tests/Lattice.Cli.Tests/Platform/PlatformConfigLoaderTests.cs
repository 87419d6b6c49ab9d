using Lattice.Cli.Platform;

namespace Lattice.Cli.Tests.Platform;

/// <summary>lattice.yaml as users get it wrong: each invalid file gives one clear message with the line, never a crash.</summary>
public sealed class PlatformConfigLoaderTests : IDisposable
{
    private const string Components = """
        gateway:
          project: src/Gateway
          port: 5860
        orchestrator:
          project: src/Orchestrator
          port: 5870
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("lattice-config-").FullName;

    public PlatformConfigLoaderTests()
    {
        foreach (var project in new[] { "src/Gateway", "src/Orchestrator", "src/Spam" })
        {
            Directory.CreateDirectory(Path.Combine(_root, project));
        }
    }

    public static TheoryData<string, string[]> InvalidFiles => new()
    {
        // Empty values: each was a NullReferenceException or ArgumentNullException.
        { "services:\n", ["lattice.yaml:1:1:", "'services' has no value"] },
        { "restart:\n  # nothing yet\n", ["lattice.yaml:1:1:", "'restart' has no value"] },
        { "gateway:\n", ["lattice.yaml:1:1:", "'gateway' has no value"] },
        { "dataFolder:\n", ["lattice.yaml:1:1:", "'dataFolder' has no value"] },
        { "services:\n  spam:\n", ["lattice.yaml:2:3:", "'services.spam' has no value"] },
        { "services:\n  spam:\n    project: src/Spam\n    port: ~\n", ["lattice.yaml:4:5:", "'services.spam.port' has no value"] },
        { "dataFolder: \"\"\n", ["lattice.yaml:1:1:", "dataFolder must name a folder"] },
        // Duplicate keys were accepted, the last one winning.
        { "services:\n  spam:\n    project: src/Spam\n    port: 5880\n  spam:\n    project: src/Spam\n    port: 5881\n", ["lattice.yaml:5:3:", "'services.spam' is given twice (first on line 2)"] },
        { "readyTimeout: 10s\nreadyTimeout: 20s\n", ["lattice.yaml:2:1:", "'readyTimeout' is given twice"] },
        // Errors found after parsing name their line too.
        { Components + "\nservices:\n  spam:\n    project: src/Spam\n    port: 5880\n    replicas: 0\n", ["lattice.yaml:11:5:", "services.spam.replicas must be from 1 to 20, not 0"] },
        { Components + "\nservices:\n  spam:\n    project: src/Spam\n    port: 80\n", ["lattice.yaml:10:5:", "services.spam.port must leave room"] },
        { Components + "\nservices:\n  spam:\n    project: src/Spam\n    port: 5860\n", ["lattice.yaml:3:3:", "gateway replica 0 would listen on port 5860, already taken by services.spam#0"] },
        { Components + "\nservices:\n  spam:\n    project: src/Nowhere\n    port: 5880\n", ["lattice.yaml:9:5:", "services.spam.project 'src/Nowhere' is not a folder"] },
        { Components + "\nservices:\n  spam:\n    port: 5880\n", ["lattice.yaml:8:3:", "services.spam.project '' is not a folder"] },
        { Components + "\nrestart:\n  maxBackoff: 5 minutes\n", ["lattice.yaml:8:3:", "restart.maxBackoff must be a duration"] },
        { "readyTimeout: 0s\n", ["lattice.yaml:1:1:", "readyTimeout must be a duration"] },
        // Durations.TryParse threw (OverflowException, ArgumentException) for these instead of returning false.
        { "readyTimeout: 99999999999999999999s\n", ["lattice.yaml:1:1:", "readyTimeout must be a duration", "not '99999999999999999999s'"] },
        { "restart:\n  maxBackoff: NaNms\n", ["lattice.yaml:2:3:", "restart.maxBackoff must be a duration", "not 'NaNms'"] },
        { "logs:\n  maxSize: 1KiB\n", ["lattice.yaml:2:3:", "logs.maxSize must be a size from 64KiB to 16GiB such as 512KiB or 10MiB, not '1KiB'"] },
        { "logs:\n  maxSize: 10 MB\n", ["lattice.yaml:2:3:", "logs.maxSize must be a size", "not '10 MB'"] },
        { "logs:\n  maxSize: 17GiB\n", ["lattice.yaml:2:3:", "logs.maxSize must be a size"] },
        { "logs:\n  maxFiles: -1\n", ["lattice.yaml:2:3:", "logs.maxFiles must be from 0 to 100, not -1"] },
        { "logs:\n  maxFiles: 101\n", ["lattice.yaml:2:3:", "logs.maxFiles must be from 0 to 100, not 101"] },
        { "configuration: Fast\n", ["lattice.yaml:1:1:", "configuration must be Debug or Release, not 'Fast'"] },
        // Parse errors, as before.
        { "gateway:\n  prot: 5000\n", ["lattice.yaml:2:3:", "prot"] },
        { "gateway:\n  port: many\n", ["lattice.yaml:2:9: gateway.port:"] },
        { "gateway:\n  port: 99999999999\n", ["lattice.yaml:2:9: gateway.port:"] },
        { "gateway: { project: src/Gateway, port: x }\n", ["lattice.yaml:1:", "gateway.port:"] },
        { "services: [spam]\n", ["lattice.yaml:1:"] },
        { "services:\n  - spam\n", ["lattice.yaml:2:"] },
        { "gateway: {\n", ["lattice.yaml:"] },
        // The outline's walk recursed once per level: 200,000 levels overflowed the stack (exit 134).
        { "services: " + new string('[', 200_000) + new string(']', 200_000) + "\n", ["lattice.yaml:1:", "nested more than 64 levels deep"] },
    };

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Load_InvalidFile_FailsWithTheFieldAndLine(string yaml, string[] fragments)
    {
        var path = Write(yaml);

        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigLoader.Load(path));

        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_ReplicasOptionOutOfRange_NamesTheOption()
    {
        var path = Write(Components + "\nservices:\n  spam:\n    project: src/Spam\n    port: 5880\n");

        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigLoader.Load(path, new Dictionary<string, int> { ["spam"] = 0 }));

        Assert.Contains("--replicas spam=0: replicas must be from 1 to 20", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ValidFile_ResolvesEveryReplica()
    {
        var path = Write(Components + """

            dataFolder: state
            readyTimeout: 20s
            restart:
              initialBackoff: 100ms
            logs:
              maxSize: 1.5MiB
              maxFiles: 0
            services:
              spam:
                project: src/Spam
                port: 5880
                replicas: 2
                environment:
                  Lattice__Spam__Threshold: "0.8"
            """);

        var sut = PlatformConfigLoader.Load(path, configuration: "Release");

        Assert.Equal(Path.Combine(_root, "state"), sut.DataFolder);
        Assert.Equal(TimeSpan.FromSeconds(20), sut.ReadyTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), sut.InitialBackoff);
        Assert.Equal(new LogRotation(1536 * 1024, MaxFiles: 0), sut.LogRotation);
        var spam = Assert.Single(sut.Components, c => c.Name == "spam");
        Assert.Equal([5880, 5980], spam.Replicas.Select(r => r.Port));
        Assert.Equal("0.8", spam.Environment["Lattice__Spam__Threshold"]);
        Assert.Equal(5860, sut.GatewayUrl.Port);
    }

    [Fact]
    public void Load_ShippedFile_Loads()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(folder.FullName, PlatformConfigLoader.DefaultFileName)))
        {
            folder = folder.Parent ?? throw new InvalidOperationException("no lattice.yaml above the test output");
        }

        var sut = PlatformConfigLoader.Load(Path.Combine(folder.FullName, PlatformConfigLoader.DefaultFileName));

        Assert.Contains(sut.Components, c => c.Kind == ComponentKind.Gateway);
        Assert.Contains(sut.Components, c => c.Name == "sentiment");
        Assert.Equal(new LogRotation(10 * 1024 * 1024, MaxFiles: 3), sut.LogRotation);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("a\0b.yaml")]
    public void Load_NoUsableConfigPath_FailsWithAMessage(string configPath)
    {
        // `lattice up --config ""` crashed with an ArgumentException and its stack trace.
        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigLoader.Load(configPath));

        Assert.Contains("--config must name a file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PartialGatewayAndOrchestratorSections_KeepTheDefaultsOfWhatTheyLeaveOut()
    {
        // "Every field is optional": a section that names only its port lost the default project ('' is not a
        // folder), and one that names only its project lost the default port (0).
        Directory.CreateDirectory(Path.Combine(_root, PlatformConfig.DefaultGatewayProject));
        var path = Write("gateway:\n  port: 6000\norchestrator:\n  project: src/Orchestrator\n");

        var sut = PlatformConfigLoader.Load(path);

        var gateway = Assert.Single(sut.Components, c => c.Kind == ComponentKind.Gateway);
        Assert.Equal(Path.Combine(_root, PlatformConfig.DefaultGatewayProject), gateway.ProjectFolder.TrimEnd(Path.DirectorySeparatorChar));
        Assert.Equal(6000, gateway.Replicas[0].Port);
        var orchestrator = Assert.Single(sut.Components, c => c.Kind == ComponentKind.Orchestrator);
        Assert.Equal(PlatformConfig.DefaultOrchestratorPort, orchestrator.Replicas[0].Port);
    }

    [Fact]
    public void Load_NoLogsSection_Rotates10MiBKeeping3Files()
    {
        var sut = PlatformConfigLoader.Load(Write(Components));

        Assert.Equal(new LogRotation(10 * 1024 * 1024, MaxFiles: 3), sut.LogRotation);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_root, PlatformConfigLoader.DefaultFileName);
        File.WriteAllText(path, yaml);
        return path;
    }
}
