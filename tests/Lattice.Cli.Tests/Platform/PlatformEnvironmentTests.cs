using Lattice.Cli.Platform;
using Lattice.Cli.Tests.Support;
using Lattice.Shared;

namespace Lattice.Cli.Tests.Platform;

public sealed class PlatformEnvironmentTests
{
    private static PlatformPlan Plan(ComponentPlan component) => TestPlans.For("/repo", component);

    private static ComponentPlan Service(IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        Name = "sentiment",
        Kind = ComponentKind.Service,
        ProjectFolder = "/repo/src/Services/Lattice.Services.Sentiment",
        ProjectName = "Lattice.Services.Sentiment",
        Replicas = [new ReplicaPlan("sentiment", 0, 5101)],
        Environment = environment ?? new Dictionary<string, string>(),
    };

    [Fact]
    public void Variables_ByDefault_ChooseWorkstationGc()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable(PlatformEnvironment.GcServerVariable) is not null,
            "the shell chose a GC mode, which lattice up keeps");
        var service = Service();

        var variables = PlatformEnvironment.Variables(Plan(service), service, service.Replicas[0], "key");

        Assert.Equal("0", variables[PlatformEnvironment.GcServerVariable]);
        Assert.Equal("http://127.0.0.1:5101", variables["ASPNETCORE_URLS"]);
    }

    [Fact]
    public void Variables_ByDefault_TurnThreadPoolSpinningOff()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable(PlatformEnvironment.ThreadPoolSpinLimitVariable) is not null,
            "the shell chose a spin limit, which lattice up keeps");
        var service = Service();

        var variables = PlatformEnvironment.Variables(Plan(service), service, service.Replicas[0], "key");

        Assert.Equal("0", variables[PlatformEnvironment.ThreadPoolSpinLimitVariable]);
    }

    [Fact]
    public void Variables_ComponentEnvironment_OverridesTheSpinLimit()
    {
        var service = Service(new Dictionary<string, string> { [PlatformEnvironment.ThreadPoolSpinLimitVariable] = "70" });

        var variables = PlatformEnvironment.Variables(Plan(service), service, service.Replicas[0], "key");

        Assert.Equal("70", variables[PlatformEnvironment.ThreadPoolSpinLimitVariable]);
    }

    [Fact]
    public void Variables_ComponentEnvironment_OverridesTheGcMode()
    {
        var service = Service(new Dictionary<string, string> { [PlatformEnvironment.GcServerVariable] = "1" });

        var variables = PlatformEnvironment.Variables(Plan(service), service, service.Replicas[0], "key");

        Assert.Equal("1", variables[PlatformEnvironment.GcServerVariable]);
    }

    [Fact]
    public void Variables_NameTheSupervisorByPidAndStartTime()
    {
        // Children's watchdogs compare both, so a process that takes the pid over after lattice dies is not taken for it.
        var service = Service();

        var variables = PlatformEnvironment.Variables(Plan(service), service, service.Replicas[0], "key");

        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), variables[PlatformEnvironment.SupervisorPidVariable]);
        var started = long.Parse(variables[PlatformEnvironment.SupervisorStartVariable], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(SupervisorIdentity.OwnStartStamp, started);
        Assert.True(SupervisorIdentity.IsRunning(Environment.ProcessId, started)); // the contract's other side: SupervisorWatchdogTests
    }
}
