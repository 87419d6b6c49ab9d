using Microsoft.Extensions.Hosting;

namespace Lattice.Hosting.Repository;

/// <summary>Finds the model repository root: configured, or the nearest <c>models/</c> folder holding a served model.</summary>
internal sealed class ModelRootResolver(IHostEnvironment environment)
{
    public const string DefaultFolder = "models";

    public string Resolve(string? configured, IReadOnlyList<string> modelNames)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(Path.IsPathRooted(configured) ? configured : Path.Combine(environment.ContentRootPath, configured));
        }

        foreach (var start in new[] { environment.ContentRootPath, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, DefaultFolder);
                if (modelNames.Any(name => Directory.Exists(Path.Combine(candidate, name))))
                {
                    return candidate;
                }
            }
        }

        return Path.Combine(environment.ContentRootPath, DefaultFolder);
    }
}
