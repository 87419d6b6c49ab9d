using System.Globalization;
using Lattice.Hosting.Typed;
using Lattice.ML.Forecasting;

namespace Lattice.Services.Forecast.Serving;

/// <summary>Series to forecast with one set of settings (the typed API sends one; OIP may send several of equal length).</summary>
/// <param name="Series">Each series, oldest value first, validated.</param>
/// <param name="Horizon">Steps to forecast.</param>
/// <param name="Frequency">Fixes the season lengths.</param>
/// <param name="Levels">Interval levels in percent.</param>
/// <param name="Method">The request's method, or null for the version's default.</param>
internal sealed record ForecastJob(IReadOnlyList<double[]> Series, int Horizon, SeriesFrequency Frequency, IReadOnlyList<double> Levels, ForecastMethod? Method);

/// <summary>What the forecast endpoints run on the routed version, and the request checks both APIs share.</summary>
internal static class ForecastOperations
{
    /// <summary>Characters of a caller's unknown frequency or method quoted back in the error.</summary>
    private const int MaxQuotedLength = 64;

    /// <summary>
    /// Fits and forecasts each series, stopping between series once the caller has hung up (an OIP request may hold
    /// hundreds, a second or more each); recorded with a summary of the request as input and the method as label.
    /// </summary>
    public static ModelOperation<ForecasterVersion, ForecastJob, ForecastResult[]> Forecast { get; } = new(
        static (version, job, cancellationToken) =>
        {
            var options = ForecastOptions.For(job.Frequency) with { Levels = job.Levels, Method = job.Method ?? version.Method };
            var results = new ForecastResult[job.Series.Count];
            for (var i = 0; i < results.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                results[i] = Forecaster.Forecast(job.Series[i], job.Horizon, options);
            }

            return results;
        },
        static (job, results, log) =>
        {
            for (var i = 0; i < results.Length; i++)
            {
                var input = string.Create(CultureInfo.InvariantCulture, $"{job.Series[i].Length} {ForecastNames.Name(job.Frequency)} points, last {job.Series[i][^1]:G6}, horizon {job.Horizon}");
                log.Add(input, results[i].Method, (float)results[i].Point[0]);
            }
        });

    /// <summary>
    /// Builds a job from already-parsed parts, refusing what breaks a limit (400 <c>limit-exceeded</c>: series length,
    /// horizon, level count) or is malformed (400 <c>invalid-input</c>: empty series, horizon below 1, levels outside
    /// (0, 100), unknown frequency or method, NaN, infinities or values beyond ±1e15).
    /// </summary>
    public static RequestRefusal? Build(
        IReadOnlyList<double[]> series, long horizon, IReadOnlyList<double>? levels, string? frequency, string? method,
        ForecastServiceOptions options, out ForecastJob job)
    {
        job = null!;
        foreach (var values in series)
        {
            if (values.Length == 0)
            {
                return RequestRefusal.Invalid("'series' is empty; send at least one value.");
            }

            if (CheckSeriesLength(values.Length, options) is { } tooLong)
            {
                return tooLong;
            }
        }

        if (horizon < 1)
        {
            return RequestRefusal.Invalid($"'horizon' must be at least 1 (got {horizon}).");
        }

        if (horizon > options.MaxHorizon)
        {
            return RequestRefusal.Limit($"'horizon' is {horizon}; at most {options.MaxHorizon} steps are forecast (limit MaxHorizon).");
        }

        levels ??= options.EffectiveLevels;
        if (CheckLevelCount(levels.Count) is { } tooMany)
        {
            return tooMany;
        }

        foreach (var level in levels)
        {
            if (!ForecastLimits.IsLevel(level))
            {
                return RequestRefusal.Invalid(level is > 0 and < 100
                    ? $"Level {level.ToString("R", CultureInfo.InvariantCulture)} is too close to 100 for a finite interval; use at most 99.99999999999997."
                    : $"Every level must be strictly between 0 and 100 (got {level.ToString(CultureInfo.InvariantCulture)}).");
            }
        }

        var seriesFrequency = SeriesFrequency.Other;
        if (frequency is not null && !ForecastNames.TryParseFrequency(frequency, out seriesFrequency))
        {
            return RequestRefusal.Invalid($"'frequency' must be one of {ForecastNames.FrequencyList} (got '{Quote(frequency)}').");
        }

        ForecastMethod? forecastMethod = null;
        if (method is not null)
        {
            if (!ForecastNames.TryParseMethod(method, out var parsed))
            {
                return RequestRefusal.Invalid($"'method' must be one of {ForecastNames.MethodList} (got '{Quote(method)}').");
            }

            forecastMethod = parsed;
        }

        // The forecaster's own check is the last word on values (finite, within ±1e15) and season lengths.
        var forecastOptions = ForecastOptions.For(seriesFrequency) with { Levels = levels };
        for (var i = 0; i < series.Count; i++)
        {
            if (Forecaster.Validate(series[i], (int)horizon, forecastOptions) is { } error)
            {
                return RequestRefusal.Invalid(series.Count == 1 ? error : $"Series {i}: {error}");
            }
        }

        job = new ForecastJob(series, (int)horizon, seriesFrequency, levels, forecastMethod);
        return null;
    }

    /// <summary>Refuses a series longer than <c>MaxSeriesLength</c> (also checked on a declared OIP shape, before its data is read).</summary>
    public static RequestRefusal? CheckSeriesLength(long length, ForecastServiceOptions options) =>
        length > options.MaxSeriesLength
            ? RequestRefusal.Limit($"'series' has {length} values; at most {options.MaxSeriesLength} are accepted (limit MaxSeriesLength).")
            : null;

    /// <summary>Refuses more than <see cref="ForecastLimits.MaxLevels"/> levels (also checked on a declared OIP shape, before its data is read).</summary>
    public static RequestRefusal? CheckLevelCount(long count) =>
        count > ForecastLimits.MaxLevels
            ? RequestRefusal.Limit($"'levels' holds {count} levels; at most {ForecastLimits.MaxLevels} are allowed.")
            : null;

    /// <summary>A name the caller sent, shortened for an error message: a 4 MiB 'frequency' is not echoed back whole.</summary>
    private static string Quote(string text)
    {
        if (text.Length <= MaxQuotedLength)
        {
            return text;
        }

        // Never cut a surrogate pair in half.
        var length = char.IsHighSurrogate(text[MaxQuotedLength - 1]) ? MaxQuotedLength - 1 : MaxQuotedLength;
        return string.Concat(text.AsSpan(0, length), "…");
    }
}
