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
        if (string.IsNullOrWhiteSpace(configPath) || configPath.Contains('\0', StringComparison.Ordinal))
        {
            throw new PlatformConfigException($"--config must name a file, such as {DefaultFileName}.");
        }

        var fullPath = Path.GetFullPath(configPath);
        if (!File.Exists(fullPath))
        {
            throw new PlatformConfigException($"{configPath} not found. Run lattice from the repository root or pass --config <path>.");
        }

        PlatformConfig config;
        IReadOnlyDictionary<string, Mark>? marks = null;
        try
        {
            var yaml = File.ReadAllText(fullPath);
            // The outline first: it names the line of a duplicate or empty key, which the deserializer would
            // accept silently (last wins) or turn into nulls that crash later.
            marks = YamlOutline.Read(yaml, configPath);
            var deserializer = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .WithEnforceRequiredMembers()
                .Build();
            config = deserializer.Deserialize<PlatformConfig?>(yaml) ?? new PlatformConfig();
            KeepDefaults(config.Gateway, "gateway", PlatformConfig.DefaultGatewayProject, PlatformConfig.DefaultGatewayPort, marks);
            KeepDefaults(config.Orchestrator, "orchestrator", PlatformConfig.DefaultOrchestratorProject, PlatformConfig.DefaultOrchestratorPort, marks);
        }
        catch (YamlException e)
        {
            var reason = MarkPrefix().Replace(e.InnerException?.Message ?? e.Message, string.Empty)
                .Replace(" on type 'Lattice.Cli.Platform.", " in '", StringComparison.Ordinal);
            // A value the deserializer cannot convert (a port of 99999999999) says only why: name the field on that line.
            var key = marks?.Where(m => m.Value.Line == e.Start.Line && m.Value.Column <= e.Start.Column)
                .OrderByDescending(m => m.Value.Column).Select(m => m.Key).FirstOrDefault();
            var field = key is null ? string.Empty : key + ": ";
            throw new PlatformConfigException($"{YamlOutline.At(configPath, e.Start)}: {field}{reason}");
        }

        return Resolve(config, fullPath, new Locations(configPath, marks), replicaOverrides ?? new Dictionary<string, int>(), configuration);
    }

    /// <summary>
    /// "Every field is optional": a section such as <c>gateway: { port: 6000 }</c> keeps the default project (and
    /// <c>gateway: { project: ... }</c> the default port), which a freshly deserialized section would have lost.
    /// </summary>
    private static void KeepDefaults(ComponentConfig component, string section, string project, int port, IReadOnlyDictionary<string, Mark> marks)
    {
        if (!marks.ContainsKey(section + ".project"))
        {
            component.Project = project;
        }

        if (!marks.ContainsKey(section + ".port"))
        {
            component.Port = port;
        }
    }

    private static PlatformPlan Resolve(PlatformConfig config, string configPath, Locations at, IReadOnlyDictionary<string, int> replicaOverrides, string? configurationOverride)
    {
        var errors = new List<string>();
        void Error(string field, string message) => errors.Add($"{at.Of(field)}{message}");
        var root = Path.GetDirectoryName(configPath)!;
        if (string.IsNullOrWhiteSpace(config.DataFolder))
        {
            Error("dataFolder", "dataFolder must name a folder, not be empty");
        }

        var dataFolder = Path.GetFullPath(Path.Combine(root, config.DataFolder));
        var configuration = configurationOverride ?? config.Configuration ?? CurrentConfiguration();
        if (configuration is not ("Debug" or "Release"))
        {
            if (configurationOverride is null)
            {
                Error("configuration", $"configuration must be Debug or Release, not '{configuration}'");
            }
            else
            {
                errors.Add($"--configuration must be Debug or Release, not '{configuration}'");
            }
        }

        TimeSpan Duration(string name, string value, TimeSpan min, TimeSpan max)
        {
            if (Durations.TryParse(value, out var parsed) && parsed >= min && parsed <= max)
            {
                return parsed;
            }

            Error(name, $"{name} must be a duration from {min.TotalSeconds}s to {max.TotalSeconds}s such as 500ms or 30s, not '{value}'");
            return min;
        }

        var readyTimeout = Duration("readyTimeout", config.ReadyTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var initialBackoff = Duration("restart.initialBackoff", config.Restart.InitialBackoff, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        var maxBackoff = Duration("restart.maxBackoff", config.Restart.MaxBackoff, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        var resetAfter = Duration("restart.resetAfter", config.Restart.ResetAfter, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (maxBackoff < initialBackoff)
        {
            Error("restart.maxBackoff", "restart.maxBackoff must be at least restart.initialBackoff");
        }

        var logRotation = LogRotationOf(config.Logs, Error);
        foreach (var name in replicaOverrides.Keys.Where(n => !config.Services.ContainsKey(n) && n is not "gateway" and not "orchestrator"))
        {
            errors.Add($"--replicas names '{name}', which is not a service in {DefaultFileName} (services: {string.Join(", ", config.Services.Keys)})");
        }

        var components = new List<(string Name, ComponentKind Kind, ComponentConfig Config)>();
        foreach (var (name, service) in config.Services)
        {
            if (!NamePattern().IsMatch(name) || name is "gateway" or "orchestrator" or "pipelines" or "admin")
            {
                Error($"services.{name}", $"services.{name}: a service name is lower-case letters, digits and '-', and not a reserved name");
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
                Error($"{where}.project", $"{where}.project '{component.Project}' is not a folder under {root}");
                continue;
            }

            var fromOption = replicaOverrides.TryGetValue(name, out var overridden);
            var replicas = fromOption ? overridden : component.Replicas;
            if (replicas is < 1 or > 20)
            {
                errors.Add(fromOption
                    ? $"--replicas {name}={replicas}: replicas must be from 1 to 20"
                    : $"{at.Of($"{where}.replicas")}{where}.replicas must be from 1 to 20, not {replicas}");
                continue;
            }

            var replicaPlans = new List<ReplicaPlan>();
            for (var i = 0; i < replicas; i++)
            {
                var port = component.Port + (ReplicaPortStride * i);
                if (component.Port is < 1024 or > 65535 || port > 65535)
                {
                    Error($"{where}.port", $"{where}.port must leave room for its replicas between 1024 and 65535, not {component.Port}");
                    break;
                }

                if (!ports.TryAdd(port, $"{where}#{i}"))
                {
                    Error($"{where}.port", $"{where} replica {i} would listen on port {port}, already taken by {ports[port]}");
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
            LogRotation = logRotation,
            Components = plans,
        };
    }

    /// <summary>logs.maxSize and logs.maxFiles, checked: below 64KiB a busy service would rotate every few seconds.</summary>
    private static LogRotation LogRotationOf(LogsConfig logs, Action<string, string> error)
    {
        const long MinSize = 64 * ByteSizes.KiB;
        const long MaxSize = 16 * ByteSizes.GiB;
        const int MaxFiles = LogRotation.MaxMaxFiles;
        if (!ByteSizes.TryParse(logs.MaxSize, out var maxBytes) || maxBytes is < MinSize or > MaxSize)
        {
            error("logs.maxSize", $"logs.maxSize must be a size from 64KiB to 16GiB such as 512KiB or 10MiB, not '{logs.MaxSize}'");
        }

        if (logs.MaxFiles is < 0 or > MaxFiles)
        {
            error("logs.maxFiles", $"logs.maxFiles must be from 0 to {MaxFiles}, not {logs.MaxFiles}");
        }

        return new LogRotation(maxBytes, logs.MaxFiles);
    }

    /// <summary>Debug or Release, read off the CLI's own output folder (bin/Debug/net10.0/...).</summary>
    public static string CurrentConfiguration()
    {
        var path = AppContext.BaseDirectory.Replace('\\', '/');
        return path.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,30}$")]
    private static partial Regex NamePattern();

    /// <summary>YamlDotNet puts "(Line: 3, Col: 5, Idx: 40) - (Line: ...): " before some messages; the location is printed once, our way.</summary>
    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    /// <summary>
    /// Turns a field's dotted path into the <c>file:line:column: </c> of its key, or of the nearest enclosing key
    /// the file has (a field left at its default has no line of its own).
    /// </summary>
    private sealed class Locations(string file, IReadOnlyDictionary<string, Mark> marks)
    {
        public string Of(string field)
        {
            for (var path = field; path.Length > 0; path = path.LastIndexOf('.') is var dot and > 0 ? path[..dot] : string.Empty)
            {
                if (marks.TryGetValue(path, out var mark))
                {
                    return YamlOutline.At(file, mark) + ": ";
                }
            }

            return string.Empty;
        }
    }
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
