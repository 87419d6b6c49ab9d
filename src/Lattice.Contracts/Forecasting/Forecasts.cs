using System.Text.Json.Serialization;

namespace Lattice.Contracts.Forecasting;

/// <summary><c>POST /v1/forecasts</c>: forecast a series (oldest value first).</summary>
public sealed record ForecastRequest
{
    /// <summary>The history, oldest first; finite numbers.</summary>
    [JsonPropertyName("series")]
    public required IReadOnlyList<double> Series { get; init; }

    /// <summary><c>hourly</c>, <c>daily</c>, <c>weekly</c>, <c>monthly</c>, <c>quarterly</c>, <c>yearly</c> or <c>other</c> (default): fixes the season lengths.</summary>
    [JsonPropertyName("frequency")]
    public string? Frequency { get; init; }

    /// <summary>Steps to forecast.</summary>
    [JsonPropertyName("horizon")]
    public required int Horizon { get; init; }

    /// <summary>Central prediction interval levels in percent, each in (0, 100); the service's default when omitted.</summary>
    [JsonPropertyName("levels")]
    public IReadOnlyList<double>? Levels { get; init; }

    /// <summary>A method instead of the version's default (e.g. <c>auto</c>, <c>theta</c>, <c>ets</c>, <c>seasonal_naive</c>).</summary>
    [JsonPropertyName("method")]
    public string? Method { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary>A central prediction interval at <see cref="Level"/> percent.</summary>
public sealed record ForecastInterval(
    [property: JsonPropertyName("level")] double Level,
    [property: JsonPropertyName("lower")] IReadOnlyList<double> Lower,
    [property: JsonPropertyName("upper")] IReadOnlyList<double> Upper);

/// <summary>The point forecast, its intervals and the method that produced them.</summary>
public sealed record ForecastResponse
{
    [JsonPropertyName("forecast")]
    public required IReadOnlyList<double> Forecast { get; init; }

    [JsonPropertyName("intervals")]
    public required IReadOnlyList<ForecastInterval> Intervals { get; init; }

    /// <summary>The method that produced the forecast, e.g. <c>Theta</c> or a combination's members.</summary>
    [JsonPropertyName("method")]
    public required string Method { get; init; }

    [JsonPropertyName("frequency")]
    public required string Frequency { get; init; }

    [JsonPropertyName("horizon")]
    public required int Horizon { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }
}
