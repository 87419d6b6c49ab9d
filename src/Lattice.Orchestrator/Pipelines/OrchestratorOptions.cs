using System.ComponentModel.DataAnnotations;

namespace Lattice.Orchestrator;

/// <summary>Orchestrator settings (section <c>Orchestrator</c>).</summary>
public sealed class OrchestratorOptions
{
    public const string SectionName = "Orchestrator";

    /// <summary>Folder of pipeline files (*.yaml, *.yml); relative paths are searched upward from the working directory.</summary>
    [Required]
    public string PipelinesPath { get; set; } = "pipelines";

    /// <summary>Deadline of a pipeline that declares none.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Timeout of a step that declares none.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan DefaultStepTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest pipeline request body; larger ones get 413.</summary>
    [Range(16, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted in a request body.</summary>
    [Range(2, 256)]
    public int MaxJsonDepth { get; set; } = 32;

    /// <summary>Largest step response read; a bigger one fails the step.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxStepResponseBytes { get; set; } = 4 * 1024 * 1024;
}
