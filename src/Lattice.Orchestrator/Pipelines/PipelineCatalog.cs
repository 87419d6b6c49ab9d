using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Lattice.Orchestrator.Pipelines;

/// <summary>
/// The pipelines loaded from the pipelines folder at start. Any invalid file stops the process: every problem is
/// logged (Critical, with its line) and the constructor throws: running with half the pipelines would hide the mistake.
/// </summary>
public sealed partial class PipelineCatalog
{
    private readonly FrozenDictionary<string, PipelineDefinition> _pipelines;

    public PipelineCatalog(IOptions<OrchestratorOptions> options, IConfiguration configuration, IHostEnvironment environment, ILogger<PipelineCatalog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = options.Value;
        Folder = ResolveFolder(settings.PipelinesPath, environment.ContentRootPath);
        var knownServices = configuration.GetSection("Services").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var loader = new PipelineLoader(knownServices, new PipelineDefaults(settings.DefaultDeadline, settings.DefaultStepTimeout));
        var pipelines = new Dictionary<string, PipelineDefinition>(StringComparer.Ordinal);
        var errors = new List<string>();
        var files = Directory.EnumerateFiles(Folder, "*.yaml").Concat(Directory.EnumerateFiles(Folder, "*.yml")).Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                var pipeline = loader.LoadFile(file);
                if (!pipelines.TryAdd(pipeline.Name, pipeline))
                {
                    errors.Add($"{file}: pipeline name '{pipeline.Name}' is already used by {pipelines[pipeline.Name].SourcePath}");
                }
            }
            catch (PipelineValidationException e)
            {
                errors.AddRange(e.Errors);
            }
        }

        if (errors.Count > 0)
        {
            // Logged here, where the logger is sure to be up, so the process can stop without a stack trace.
            foreach (var error in errors)
            {
                LogInvalid(logger, error);
            }

            throw new PipelineValidationException(Folder, errors);
        }

        _pipelines = pipelines.ToFrozenDictionary(StringComparer.Ordinal);
        LogLoaded(logger, _pipelines.Count, Folder);
    }

    /// <summary>The folder the pipelines were read from.</summary>
    public string Folder { get; }

    public IEnumerable<PipelineDefinition> All => _pipelines.Values.OrderBy(p => p.Name, StringComparer.Ordinal);

    public bool TryGet(string name, out PipelineDefinition pipeline) => _pipelines.TryGetValue(name, out pipeline!);

    private static string ResolveFolder(string configured, string contentRoot)
    {
        if (Path.IsPathRooted(configured))
        {
            return Directory.Exists(configured) ? configured : throw new DirectoryNotFoundException($"Orchestrator:PipelinesPath '{configured}' does not exist.");
        }

        // Relative: look in the working directory and the content root, then upward (a repo run from src/...).
        foreach (var start in new[] { Directory.GetCurrentDirectory(), contentRoot, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, configured);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException($"Orchestrator:PipelinesPath '{configured}' was not found from {Directory.GetCurrentDirectory()} or its parents.");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Loaded {Count} pipelines from {Folder}")]
    private static partial void LogLoaded(ILogger logger, int count, string folder);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "Invalid pipeline, the orchestrator does not start: {Problem}")]
    private static partial void LogInvalid(ILogger logger, string problem);
}
