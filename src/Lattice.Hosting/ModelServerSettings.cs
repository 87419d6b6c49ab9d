using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Lattice.Hosting;

/// <summary>
/// The model server's options as they stand: the configured ones, or, after a configuration reload that does not bind
/// or validate, the last valid ones (the failure is logged once per reload). Every reader goes through this, never
/// through <see cref="IOptionsMonitor{TOptions}"/>: after an invalid reload the monitor binds, validates and throws
/// again on every read until the configuration is fixed, which made every request throw and log, and ended the
/// repository's rescan loop (and with it, through the host's default, the whole service).
/// </summary>
internal sealed partial class ModelServerSettings : IDisposable
{
    private readonly IOptionsFactory<ModelServerOptions> _factory;
    private readonly ILogger<ModelServerSettings> _logger;
    private readonly List<IDisposable> _subscriptions = [];
    private volatile ModelServerOptions _current;

    public ModelServerSettings(
        IOptionsMonitor<ModelServerOptions> monitor,
        IOptionsFactory<ModelServerOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<ModelServerOptions>> sources,
        ILogger<ModelServerSettings> logger)
    {
        _factory = factory;
        _logger = logger;
        _current = monitor.CurrentValue; // an invalid configuration at start stops the host (ValidateOnStart)
        foreach (var source in sources.Where(s => s.Name is null || s.Name == Options.DefaultName))
        {
            _subscriptions.Add(ChangeToken.OnChange(source.GetChangeToken, Reload));
        }
    }

    /// <summary>The options in force: a volatile read, cheap enough for every request.</summary>
    public ModelServerOptions Current => _current;

    /// <summary>Binds and validates the reloaded configuration; keeps the last valid options when that fails.</summary>
    internal void Reload()
    {
        try
        {
            _current = _factory.Create(Options.DefaultName);
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or FormatException)
        {
            // Validation failures, and values the binder cannot convert (e.g. "soon" for a TimeSpan).
            LogInvalidReload(ex.Message);
        }
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    [LoggerMessage(EventId = 123, Level = LogLevel.Error, Message = "The reloaded model server configuration is invalid ({Failures}); the last valid settings stay in force")]
    private partial void LogInvalidReload(string failures);
}
