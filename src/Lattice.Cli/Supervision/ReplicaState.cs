namespace Lattice.Cli.Supervision;

/// <summary>What the supervisor knows of one replica; written to state.json for <c>lattice status</c>.</summary>
public sealed record ReplicaState(
    string Component,
    int Index,
    int Port,
    int? Pid,
    string Phase,
    int Restarts,
    DateTimeOffset? StartedAt,
    int? LastExitCode);

/// <summary>
/// The contents of <c>&lt;data&gt;/state.json</c>. <paramref name="SupervisorStartedAt"/> (SupervisorIdentity.StartStamp; absent in
/// files of older versions) tells the supervisor from a process that took its pid over after it died.
/// </summary>
public sealed record PlatformState(
    int SupervisorPid, string GatewayUrl, DateTimeOffset UpdatedAt, IReadOnlyList<ReplicaState> Replicas, long? SupervisorStartedAt = null);

/// <summary>Phases a replica goes through; strings so the state file stays readable.</summary>
public static class ReplicaPhase
{
    public const string Starting = "starting";
    public const string Ready = "ready";
    public const string Exited = "exited";
    public const string Restarting = "restarting";
    public const string Stopping = "stopping";
    public const string Stopped = "stopped";
}
