using System.Diagnostics;
using Lattice.Contracts.Events;

namespace Lattice.Hosting.Predictions;

/// <summary>Receives every prediction for monitoring. Called on the request path: must not block.</summary>
public interface IPredictionSink
{
    void Record(in PredictionRecord record);
}

/// <summary>One prediction as the server saw it; turned into a <see cref="PredictionEvent"/> only when read.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Version">Version that computed it.</param>
/// <param name="Shadow">True for a shadow prediction (never returned to the caller).</param>
/// <param name="Text">The input text, for text models.</param>
/// <param name="Features">The input features, for numeric models.</param>
/// <param name="Label">Best label (classifiers), else null.</param>
/// <param name="Score">Best label's probability, or the first output value.</param>
/// <param name="LatencySeconds">Time of the request's model call.</param>
/// <param name="TraceId">Trace of the request.</param>
/// <param name="Timestamp">When it was recorded.</param>
public readonly record struct PredictionRecord(
    string Model,
    string Version,
    bool Shadow,
    string? Text,
    ReadOnlyMemory<float> Features,
    string? Label,
    float Score,
    double LatencySeconds,
    ActivityTraceId TraceId,
    DateTimeOffset Timestamp)
{
    /// <summary>The wire form, with the input summarised to at most <paramref name="previewLength"/> characters.</summary>
    public PredictionEvent ToEvent(int previewLength) => new()
    {
        Model = Model,
        Version = Version,
        Shadow = Shadow,
        Input = Summarise(previewLength),
        Output = Label ?? Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        Score = Score,
        LatencySeconds = LatencySeconds,
        TraceId = TraceId == default ? null : TraceId.ToHexString(),
        Timestamp = Timestamp,
    };

    private string Summarise(int previewLength)
    {
        if (Text is not null)
        {
            return Text.Length <= previewLength ? Text : string.Concat(Text.AsSpan(0, previewLength), "…");
        }

        var features = Features.Span;
        var shown = Math.Min(features.Length, 16);
        var parts = new string[shown];
        for (var i = 0; i < shown; i++)
        {
            parts[i] = features[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + (shown < features.Length ? ", …]" : "]");
    }
}
