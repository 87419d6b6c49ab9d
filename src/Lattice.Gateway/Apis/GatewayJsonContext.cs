using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lattice.Gateway.Apis;

/// <summary>Body of <c>POST /gateway/keys</c>.</summary>
public sealed record CreateKeyRequest(string Name, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt = null, double? PermitsPerSecond = null, int? Burst = null);

/// <summary>A key as listed: never the secret, only its first characters.</summary>
public sealed record KeyView(
    string Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt, double? PermitsPerSecond, int? Burst);

/// <summary>Answer of <c>POST /gateway/keys</c>: the only time the secret is shown.</summary>
public sealed record CreatedKey(KeyView Key, string Secret);

/// <summary>One replica in <c>GET /gateway/upstreams</c>.</summary>
public sealed record ReplicaView(
    string Address, bool Healthy, bool Ejected, DateTimeOffset? EjectedUntil, int EjectionCount, int ConsecutiveFailures,
    string Circuit, int Outstanding);

/// <summary>One service in <c>GET /gateway/upstreams</c>.</summary>
public sealed record UpstreamView(string Service, IReadOnlyList<ReplicaView> Replicas);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(IReadOnlyList<KeyView>))]
[JsonSerializable(typeof(CreatedKey))]
[JsonSerializable(typeof(IReadOnlyList<UpstreamView>))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
