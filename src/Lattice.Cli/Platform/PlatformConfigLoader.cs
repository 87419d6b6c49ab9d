using System.Text.RegularExpressions;
using Lattice.Contracts;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Lattice.Cli.Platform;

/// <summary>Reads lattice.yaml strictly (unknown fields are errors) and resolves it into a <see cref="PlatformPlan"/>.</summary>
public static partial class PlatformConfigLoader
{
    public const string DefaultFileName = "lattice.yaml";

    /// <summary>Ports of replicas beyond the first step by this much.</summary>
    public const int ReplicaPortStride = 100;

    public static PlatformPlan Load(string configPath, IReadOnlyDictionary<string, int>? replicaOverrides = null, string? configuration = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configPath);
        var fullPath = Path.GetFullPath(configPath);
        if (!File.Exists(fullPath))
        {
            throw new PlatformConfigException($"{configPath} not found. Run lattice from the repository root or pass --config <path>.");
        }

        PlatformConfig config;
        try
        {
            var deserializer = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .WithEnforceRequiredMembers()
                .Build();
            config = deserializer.Deserialize<PlatformConfig?>(File.ReadAllText(fullPath)) ?? new PlatformConfig();
        }
        catch (YamlException e)
        {
            var reason = (e.InnerException?.Message ?? e.Message).Replace(" on type 'Lattice.Cli.Platform.", " in '", StringComparison.Ordinal);
            throw new PlatformConfigException($"{configPath}:{e.Start.Line}:{e.Start.Column}: {reason}");
        }

        return Resolve(config, fullPath, replicaOverrides ?? new Dictionary<string, int>(), configuration);
    }

    private static PlatformPlan Resolve(PlatformConfig config, string configPath, IReadOnlyDictionary<string, int> replicaOverrides, string? configurationOverride)
    {
        var errors = new List<string>();
        var root = Path.GetDirectoryName(configPath)!;
        var dataFolder = Path.GetFullPath(Path.Combine(root, config.DataFolder));
        var configuration = configurationOverride ?? config.Configuration ?? CurrentConfiguration();
        if (configuration is not ("Debug" or "Release"))
        {
            errors.Add($"configuration must be Debug or Release, not '{configuration}'");
        }

        TimeSpan Duration(string name, string value, TimeSpan min, TimeSpan max)
        {
            if (Durations.TryParse(value, out var parsed) && parsed >= min && parsed <= max)
            {
                return parsed;
            }

            errors.Add($"{name} must be a duration from {min.TotalSeconds}s to {max.TotalSeconds}s such as 500ms or 30s, not '{value}'");
            return min;
        }

        var readyTimeout = Duration("readyTimeout", config.ReadyTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var initialBackoff = Duration("restart.initialBackoff", config.Restart.InitialBackoff, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        var maxBackoff = Duration("restart.maxBackoff", config.Restart.MaxBackoff, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        var resetAfter = Duration("restart.resetAfter", config.Restart.ResetAfter, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (maxBackoff < initialBackoff)
        {
            errors.Add("restart.maxBackoff must be at least restart.initialBackoff");
        }

        foreach (var name in replicaOverrides.Keys.Where(n => !config.Services.ContainsKey(n) && n is not "gateway" and not "orchestrator"))
        {
            errors.Add($"--replicas names '{name}', which is not a service in {DefaultFileName} (services: {string.Join(", ", config.Services.Keys)})");
        }

        var components = new List<(string Name, ComponentKind Kind, ComponentConfig Config)>();
        foreach (var (name, service) in config.Services)
        {
            if (!NamePattern().IsMatch(name) || name is "gateway" or "orchestrator" or "pipelines" or "admin")
            {
                errors.Add($"services.{name}: a service name is lower-case letters, digits and '-', and not a reserved name");
            }

            components.Add((name, ComponentKind.Service, service));
        }

        components.Add(("orchestrator", ComponentKind.Orchestrator, config.Orchestrator));
        components.Add(("gateway", ComponentKind.Gateway, config.Gateway));

        var plans = new List<ComponentPlan>();
        var ports = new Dictionary<int, string>();
        foreach (var (name, kind, component) in components.Where(c => c.Config.Enabled))
        {
            var where = kind == ComponentKind.Service ? $"services.{name}" : name;
            var folder = Path.GetFullPath(Path.Combine(root, component.Project));
            if (string.IsNullOrWhiteSpace(component.Project) || !Directory.Exists(folder))
            {
                errors.Add($"{where}.project '{component.Project}' is not a folder under {root}");
                continue;
            }

            var replicas = replicaOverrides.TryGetValue(name, out var overridden) ? overridden : component.Replicas;
            if (replicas is < 1 or > 20)
            {
                errors.Add($"{where}.replicas must be from 1 to 20, not {replicas}");
                continue;
            }

            var replicaPlans = new List<ReplicaPlan>();
            for (var i = 0; i < replicas; i++)
            {
                var port = component.Port + (ReplicaPortStride * i);
                if (component.Port is < 1024 or > 65535 || port > 65535)
                {
                    errors.Add($"{where}.port must leave room for its replicas between 1024 and 65535, not {component.Port}");
                    break;
                }

                if (!ports.TryAdd(port, $"{where}#{i}"))
                {
                    errors.Add($"{where} replica {i} would listen on port {port}, already taken by {ports[port]}");
                }

                replicaPlans.Add(new ReplicaPlan(name, i, port));
            }

            plans.Add(new ComponentPlan
            {
                Name = name,
                Kind = kind,
                ProjectFolder = folder,
                ProjectName = Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)),
                Replicas = replicaPlans,
                Environment = component.Environment,
            });
        }

        if (errors.Count > 0)
        {
            throw new PlatformConfigException($"{configPath} is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors));
        }

        return new PlatformPlan
        {
            RepositoryRoot = root,
            DataFolder = dataFolder,
            Configuration = configuration,
            EnvironmentName = config.Environment,
            ReadyTimeout = readyTimeout,
            InitialBackoff = initialBackoff,
            MaxBackoff = maxBackoff,
            ResetAfter = resetAfter,
            Components = plans,
        };
    }

    /// <summary>Debug or Release, read off the CLI's own output folder (bin/Debug/net10.0/...).</summary>
    public static string CurrentConfiguration()
    {
        var path = AppContext.BaseDirectory.Replace('\\', '/');
        return path.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,30}$")]
    private static partial Regex NamePattern();
}

/// <summary>lattice.yaml (or a command-line override) is wrong; the message says where and why.</summary>
public sealed class PlatformConfigException : Exception
{
    public PlatformConfigException(string message)
        : base(message)
    {
    }

    public PlatformConfigException()
    {
    }

    public PlatformConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
