using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Lattice.Hosting;

/// <summary>Validates what data annotations cannot reach: nested per-model settings and cross-field rules.</summary>
internal sealed class ModelServerOptionsValidator : IValidateOptions<ModelServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelServerOptions options)
    {
        var failures = new List<string>();
        if (options.Root is not null && string.IsNullOrWhiteSpace(options.Root))
        {
            failures.Add("Root must not be blank.");
        }

        foreach (var (model, settings) in options.Models)
        {
            if (settings is null)
            {
                continue;
            }

            ValidateObject(settings.Batching, $"Models:{model}:Batching", failures);
            ValidateObject(settings.Bulkhead, $"Models:{model}:Bulkhead", failures);
            foreach (var (version, weight) in settings.Traffic.Weights)
            {
                if (!double.IsFinite(weight) || weight < 0)
                {
                    failures.Add($"Models:{model}:Traffic:Weights:{version} must be a finite number >= 0 (was {weight}).");
                }
            }

            if (settings.Traffic.Weights.Count > 0 && settings.Traffic.Weights.Values.Sum() <= 0)
            {
                failures.Add($"Models:{model}:Traffic:Weights must give at least one version a positive weight.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateObject(object instance, string path, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{path}: {r.ErrorMessage}"));
        }
    }
}
