using System.Diagnostics;
using System.Globalization;
using Lattice.Shared;

namespace Lattice.Cli.Platform;

/// <summary>
/// The environment each process starts with: its address, the addresses of the services it calls
/// (<c>Services__&lt;name&gt;__Urls</c>, read by ServiceDefaults' discovery), where its data lives,
/// and the supervisor's pid (a child stops itself if the supervisor dies, so nothing is orphaned).
/// </summary>
public static class PlatformEnvironment
{
    public const string SupervisorPidVariable = SupervisorIdentity.PidVariable;

    /// <summary>
    /// The supervisor's start stamp: with the pid, it tells the supervisor from a process that took its pid over after
    /// it died (the children's watchdog would otherwise keep them running under that one). See <see cref="SupervisorIdentity"/>.
    /// </summary>
    public const string SupervisorStartVariable = SupervisorIdentity.StartVariable;

    /// <summary>The runtime's GC mode switch (1 = server GC, 0 = workstation GC).</summary>
    public const string GcServerVariable = "DOTNET_gcServer";

    /// <summary>
    /// How long an idle thread-pool worker spins for new work before it sleeps (the runtime's default is 70 rounds
    /// of spin-waiting).
    /// </summary>
    public const string ThreadPoolSpinLimitVariable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    /// <summary>
    /// Runtime settings for many .NET processes sharing one machine, each applied unless the shell sets it (a
    /// component's <c>environment</c> in lattice.yaml wins over both). ASP.NET Core's defaults assume a process owns
    /// its cores, as in a Kubernetes pod, where they stay.
    /// <list type="bullet">
    /// <item>Workstation GC: server GC gives each process a heap and a spinning GC thread per core (5 % of the
    /// orchestrator's CPU under pipeline load on 2 cores).</item>
    /// <item>No thread-pool spinning: an idle worker that spins takes a core that another process's request is waiting
    /// for. bench/pipeline.sh on a quiet 2-core machine (five processes): 2,745 against 1,808 pipeline runs per second
    /// at 16 connections, p99 13.3 against 28.1 ms, and p99 7.3 ms at half of the higher maximum against 19.6 ms at half
    /// of the lower (bench/RESULTS.md, 2026-11-23).</item>
    /// </list>
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> SharedMachineDefaults =
    [
        new(GcServerVariable, "0"),
        new(ThreadPoolSpinLimitVariable, "0"),
    ];

    public static ProcessStartInfo StartInfo(PlatformPlan plan, ComponentPlan component, ReplicaPlan replica, string adminKey)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(replica);
        var assembly = component.AssemblyPath(plan.Configuration);
        var info = new ProcessStartInfo("dotnet")
        {
            // The build output holds the component's appsettings.json, so it is the content root.
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        foreach (var (key, value) in Variables(plan, component, replica, adminKey))
        {
            info.Environment[key] = value;
        }

        return info;
    }

    public static IReadOnlyDictionary<string, string> Variables(PlatformPlan plan, ComponentPlan component, ReplicaPlan replica, string adminKey)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(replica);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{replica.Port}",
            // Unprefixed too: it outranks a "Urls" in the process's appsettings.json.
            ["URLS"] = $"http://127.0.0.1:{replica.Port}",
            ["ASPNETCORE_ENVIRONMENT"] = plan.EnvironmentName,
            ["DOTNET_ENVIRONMENT"] = plan.EnvironmentName,
            ["OTEL_SERVICE_NAME"] = component.Name,
            ["Lattice__Logging__Format"] = "json",
            ["Lattice__DataFolder"] = plan.DataFolder,
            ["Lattice__Replica"] = replica.Index.ToString(CultureInfo.InvariantCulture),
            [SupervisorPidVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            [SupervisorStartVariable] = SupervisorIdentity.OwnStartStamp.ToString(CultureInfo.InvariantCulture),
        };

        if (component.Kind != ComponentKind.Service)
        {
            // The gateway and the orchestrator call services by name; discovery reads these.
            // One ';'-separated string: it replaces a "Urls" string from appsettings.json, where indexed
            // entries (Urls__0, Urls__1) would sit beside it and lose.
            foreach (var service in plan.Components.Where(c => c.Kind != ComponentKind.Gateway && c != component))
            {
                variables[$"Services__{service.Name}__Urls"] = string.Join(';', service.Replicas.Select(r => r.Url.ToString().TrimEnd('/')));
            }
        }

        foreach (var (key, value) in SharedMachineDefaults)
        {
            if (Environment.GetEnvironmentVariable(key) is null)
            {
                variables[key] = value;
            }
        }

        switch (component.Kind)
        {
            case ComponentKind.Orchestrator:
                variables["Orchestrator__PipelinesPath"] = Path.Combine(plan.RepositoryRoot, "pipelines");
                break;
            case ComponentKind.Gateway:
                variables["Lattice__Gateway__Auth__BootstrapAdminKey"] = adminKey;
                variables["Lattice__Gateway__Auth__DataFolder"] = plan.DataFolder;
                break;
            case ComponentKind.Service:
                variables["Lattice__ModelServer__Root"] = Path.Combine(plan.RepositoryRoot, "models");
                break;
        }

        foreach (var (key, value) in component.Environment)
        {
            variables[key] = value;
        }

        return variables;
    }
}
