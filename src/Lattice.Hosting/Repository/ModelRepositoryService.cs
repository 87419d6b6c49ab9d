using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lattice.Hosting.Repository;

/// <summary>
/// Loads the repository at start (in the background: <c>/health/ready</c> turns healthy when every model is
/// warmed up), then rescans after file events (debounced) and periodically.
/// </summary>
internal sealed partial class ModelRepositoryService(
    ModelRepository repository,
    ModelServerSettings settings,
    TimeProvider timeProvider,
    ILogger<ModelRepositoryService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);
    private long _lastEventTicks;
    private FileSystemWatcher? _watcher;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        LogRepository(repository.Root, string.Join(", ", repository.Models.Keys));
        while (!stoppingToken.IsCancellationRequested)
        {
            await SafeScanAsync(stoppingToken);
            EnsureWatcher();
            await WaitForChangeAsync(stoppingToken);
        }
    }

    private async Task SafeScanAsync(CancellationToken cancellationToken)
    {
        try
        {
            await repository.ScanAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogScanFailed(repository.Root, ex);
        }
    }

    /// <summary>
    /// Returns after a debounced file event or the rescan interval, whichever comes first. Events that never pause (a
    /// log file written under the root every 100 ms) do not postpone the scan past the rescan interval either.
    /// </summary>
    private async Task WaitForChangeAsync(CancellationToken cancellationToken)
    {
        var current = settings.Current;
        try
        {
            if (!await _changed.WaitAsync(current.RescanInterval, cancellationToken))
            {
                return;
            }

            // Debounce: wait until no event arrived for ReloadDebounce, at most until the longer of the two intervals has
            // passed since the first event.
            var firstEvent = timeProvider.GetTimestamp();
            var longest = current.RescanInterval > current.ReloadDebounce ? current.RescanInterval : current.ReloadDebounce;
            while (true)
            {
                var quiet = timeProvider.GetElapsedTime(Interlocked.Read(ref _lastEventTicks));
                var left = longest - timeProvider.GetElapsedTime(firstEvent);
                if (quiet >= current.ReloadDebounce || left <= TimeSpan.Zero)
                {
                    break;
                }

                var wait = current.ReloadDebounce - quiet;
                await Task.Delay(wait < left ? wait : left, timeProvider, cancellationToken);
            }

            while (_changed.CurrentCount > 0)
            {
                _changed.Wait(0, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void EnsureWatcher()
    {
        if (_watcher is not null || !settings.Current.Watch || !Directory.Exists(repository.Root))
        {
            return;
        }

        try
        {
            var watcher = new FileSystemWatcher(repository.Root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.DirectoryName | NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            watcher.Created += OnChanged;
            watcher.Deleted += OnChanged;
            watcher.Changed += OnChanged;
            watcher.Renamed += OnChanged;
            watcher.Error += OnError;
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            LogWatcherFailed(repository.Root, ex);
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        Interlocked.Exchange(ref _lastEventTicks, timeProvider.GetTimestamp());
        _changed.Release();
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        LogWatcherFailed(repository.Root, e.GetException());
        OnChanged(sender, new FileSystemEventArgs(WatcherChangeTypes.All, repository.Root, null));
    }

    public override void Dispose()
    {
        // _changed stays undisposed: a watcher callback already running may still release it, and an exception on the
        // watcher's thread would end the process (a SemaphoreSlim whose wait handle was never asked for holds nothing).
        _watcher?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Model repository {Root} serving {Models}")]
    private partial void LogRepository(string root, string models);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "Scanning the model repository {Root} failed; retrying at the next change or rescan")]
    private partial void LogScanFailed(string root, Exception exception);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Watching the model repository {Root} failed; periodic rescans continue")]
    private partial void LogWatcherFailed(string root, Exception exception);
}
