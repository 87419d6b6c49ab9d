using Lattice.Hosting.Models;

namespace Lattice.Hosting;

/// <summary>Declares the models a server hosts; passed to <c>AddModelServer</c>.</summary>
public sealed class ModelServerBuilder
{
    internal ModelServerBuilder(ModelServerRegistrations registrations) => Registrations = registrations;

    internal ModelServerRegistrations Registrations { get; }

    /// <summary>
    /// Hosts <paramref name="name"/>: every folder <c>&lt;root&gt;/&lt;name&gt;/&lt;version&gt;/</c> is loaded with
    /// <paramref name="loader"/>. The model is reachable over the Open Inference Protocol; add a typed API with
    /// <see cref="ModelRegistration.WithTextClassificationApi"/>.
    /// </summary>
    public ModelRegistration AddModel(string name, IModelLoader loader)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(loader);
        if (name.AsSpan().IndexOfAny(['/', '\\', ':', '?', '#']) >= 0 || name.StartsWith('.'))
        {
            throw new ArgumentException($"Model name '{name}' cannot be a folder and URL segment.", nameof(name));
        }

        if (Registrations.Models.Exists(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"Model '{name}' is already registered.");
        }

        var registration = new ModelRegistration(name, loader);
        Registrations.Models.Add(registration);
        return registration;
    }
}

/// <summary>One hosted model and the typed API it exposes.</summary>
public sealed class ModelRegistration
{
    internal ModelRegistration(string name, IModelLoader loader)
    {
        Name = name;
        Loader = loader;
    }

    public string Name { get; }

    public IModelLoader Loader { get; }

    /// <summary>Route of the typed text classification API, e.g. <c>/v1/sentiment</c>; null when none.</summary>
    public string? TextClassificationRoute { get; private set; }

    /// <summary>
    /// Adds <c>POST {route}</c> (<c>{"text": ...}</c>) and <c>POST {route}:batch</c> (<c>{"texts": [...]}</c>).
    /// Defaults to <c>/v1/&lt;model name&gt;</c>.
    /// </summary>
    public ModelRegistration WithTextClassificationApi(string? route = null)
    {
        route ??= "/v1/" + Name;
        if (!route.StartsWith('/'))
        {
            throw new ArgumentException("The route must start with '/'.", nameof(route));
        }

        TextClassificationRoute = route.TrimEnd('/');
        return this;
    }
}

/// <summary>Every model registered by <c>AddModelServer</c> calls (a service may call it more than once).</summary>
internal sealed class ModelServerRegistrations
{
    public List<ModelRegistration> Models { get; } = [];
}
