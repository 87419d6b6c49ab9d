using System.Text.Json;
using Lattice.Contracts.Inference;
using Lattice.Hosting.Typed;
using Lattice.ML.Forecasting;
using Lattice.Services.Forecast.Serving;

namespace Lattice.Services.Forecast.Apis;

/// <summary>
/// The forecaster on the Open Inference Protocol. Inputs: <c>series</c> (<c>FP64</c>, shape <c>[T]</c> for one series
/// or <c>[n, T]</c> for n series of equal length; other numeric datatypes are read exactly too), <c>horizon</c>
/// (<c>INT32 [1]</c>), and optionally <c>levels</c> (<c>FP64 [L]</c>), <c>frequency</c> and <c>method</c>
/// (<c>BYTES [1]</c>). Outputs, always with the series dimension first: <c>forecast</c> (<c>FP64 [n, h]</c>),
/// <c>lower</c> and <c>upper</c> (<c>FP64 [n, L, h]</c>, levels in request order) and <c>method</c> (<c>BYTES [n]</c>).
/// </summary>
internal sealed class ForecastTensorContract(ForecastServiceOptions options)
    : TensorContract<ForecasterVersion, ForecastJob, ForecastResult[]>
{
    public const string SeriesInput = "series";
    public const string HorizonInput = "horizon";
    public const string LevelsInput = "levels";
    public const string FrequencyInput = "frequency";
    public const string MethodInput = "method";
    public const string ForecastOutput = "forecast";
    public const string LowerOutput = "lower";
    public const string UpperOutput = "upper";
    public const string MethodOutput = "method";

    public override IReadOnlyList<MetadataTensor> Inputs => DeclaredInputs;

    private static readonly MetadataTensor[] DeclaredInputs =
    [
        new(SeriesInput, InferenceDatatypes.Fp64, [-1, -1]),
        new(HorizonInput, InferenceDatatypes.Int32, [1]),
        new(LevelsInput, InferenceDatatypes.Fp64, [-1]),
        new(FrequencyInput, InferenceDatatypes.Bytes, [1]),
        new(MethodInput, InferenceDatatypes.Bytes, [1]),
    ];

    public override IReadOnlyList<MetadataTensor> Outputs { get; } =
    [
        new(ForecastOutput, InferenceDatatypes.Fp64, [-1, -1]),
        new(LowerOutput, InferenceDatatypes.Fp64, [-1, -1, -1]),
        new(UpperOutput, InferenceDatatypes.Fp64, [-1, -1, -1]),
        new(MethodOutput, InferenceDatatypes.Bytes, [-1]),
    ];

    public override ModelOperation<ForecasterVersion, ForecastJob, ForecastResult[]> Operation => ForecastOperations.Forecast;

    public override int CountItems(ForecastJob request) => request.Series.Count;

    public override TensorBinding<ForecastJob> Bind(TensorInputs inputs)
    {
        if (inputs.CheckNames(SeriesInput, HorizonInput, LevelsInput, FrequencyInput, MethodInput) is { } unknown)
        {
            return TensorBinding<ForecastJob>.Refused(unknown);
        }

        if (inputs.Find(SeriesInput) is not { } seriesInput || inputs.Find(HorizonInput) is not { } horizonInput)
        {
            return TensorBinding<ForecastJob>.Refused(RequestRefusal.Invalid($"Inputs '{SeriesInput}' and '{HorizonInput}' are required."));
        }

        // Initialised because the chain stops at the first refusal.
        (double[][] series, long horizon, double[]? levels, string? frequency, string? method) = ([], 0, null, null, null);
        var refusal = ReadSeries(inputs, seriesInput, options, out series)
            ?? ReadOne(inputs, horizonInput, out horizon)
            ?? ReadLevels(inputs, out levels)
            ?? ReadText(inputs, FrequencyInput, out frequency)
            ?? ReadText(inputs, MethodInput, out method);
        if (refusal is not null)
        {
            return TensorBinding<ForecastJob>.Refused(refusal.Value);
        }

        return ForecastOperations.Build(series, horizon, levels, frequency, method, options, out var job) is { } invalid
            ? TensorBinding<ForecastJob>.Refused(invalid)
            : TensorBinding<ForecastJob>.Bound(job);
    }

    public override void WriteOutput(Utf8JsonWriter writer, string name, ForecastJob request, ForecastResult[] result)
    {
        var (rows, horizon, levels) = (result.Length, request.Horizon, request.Levels.Count);
        switch (name)
        {
            case ForecastOutput:
                TensorJson.StartData(writer, InferenceDatatypes.Fp64, rows, horizon);
                foreach (var forecast in result)
                {
                    WriteAll(writer, forecast.Point);
                }

                break;
            case LowerOutput or UpperOutput:
                TensorJson.StartData(writer, InferenceDatatypes.Fp64, rows, levels, horizon);
                foreach (var forecast in result)
                {
                    foreach (var interval in forecast.Intervals)
                    {
                        WriteAll(writer, name == LowerOutput ? interval.Lower : interval.Upper);
                    }
                }

                break;
            default:
                TensorJson.StartData(writer, InferenceDatatypes.Bytes, rows);
                foreach (var forecast in result)
                {
                    writer.WriteStringValue(forecast.Method);
                }

                break;
        }

        TensorJson.EndData(writer);
    }

    /// <summary>
    /// The metadata of input <paramref name="name"/>. Every input but <c>series</c> must have the rank its metadata
    /// declares; <c>series</c> also takes <c>[T]</c> for one series (see <see cref="ReadSeries"/>).
    /// </summary>
    private static MetadataTensor Declared(string name) => Array.Find(DeclaredInputs, i => string.Equals(i.Name, name, StringComparison.Ordinal))!;

    private static void WriteAll(Utf8JsonWriter writer, double[] values)
    {
        foreach (var value in values)
        {
            writer.WriteNumberValue(value);
        }
    }

    /// <summary>One series (<c>[T]</c>) or n of equal length (<c>[n, T]</c>), 1 ≤ n ≤ MaxBatchSize, T ≤ MaxSeriesLength, n × T ≤ MaxValuesPerRequest.</summary>
    private static RequestRefusal? ReadSeries(TensorInputs inputs, InferenceRequestInput input, ForecastServiceOptions options, out double[][] series)
    {
        series = [];
        var shape = input.Shape;
        if (shape.Count is not (1 or 2))
        {
            return RequestRefusal.Invalid($"Input '{SeriesInput}' must have shape [T] or [n, T]; got [{string.Join(", ", shape)}].");
        }

        var rows = shape.Count == 1 ? 1 : shape[0];
        if (rows == 0)
        {
            return RequestRefusal.Invalid($"Input '{SeriesInput}' holds no series.");
        }

        if (rows > inputs.Limits.MaxBatchSize)
        {
            return RequestRefusal.Limit($"Input '{SeriesInput}' holds {rows} series; at most {inputs.Limits.MaxBatchSize} are allowed (limit MaxBatchSize).");
        }

        // Checked on the declared shape, before any data is read.
        if (ForecastOperations.CheckSeriesLength(shape[^1], options) is { } tooLong)
        {
            return tooLong;
        }

        if (rows * shape[^1] > options.MaxValuesPerRequest)
        {
            return RequestRefusal.Limit(
                $"Input '{SeriesInput}' holds {rows} series of {shape[^1]} values ({rows * shape[^1]} in all); at most {options.MaxValuesPerRequest} values are accepted per request (limit MaxValuesPerRequest).");
        }

        if (inputs.ReadNumbers(input, out var values) is { } refusal)
        {
            return refusal;
        }

        var length = (int)shape[^1];
        series = new double[rows][];
        for (var i = 0; i < rows; i++)
        {
            series[i] = values.AsSpan(i * length, length).ToArray();
        }

        return null;
    }

    private static RequestRefusal? ReadOne(TensorInputs inputs, InferenceRequestInput input, out long value)
    {
        value = 0;
        if (TensorInputs.ElementCount(input) != 1)
        {
            return RequestRefusal.Invalid($"Input '{input.Name}' must hold one integer (shape [1]).");
        }

        if (TensorInputs.CheckRank(input, Declared(input.Name)) is { } rank)
        {
            return rank;
        }

        if (inputs.ReadIntegers(input, out var values) is { } refusal)
        {
            return refusal;
        }

        value = values[0];
        return null;
    }

    private static RequestRefusal? ReadLevels(TensorInputs inputs, out double[]? levels)
    {
        levels = null;
        if (inputs.Find(LevelsInput) is not { } input)
        {
            return null;
        }

        return TensorInputs.CheckRank(input, Declared(LevelsInput))
            ?? ForecastOperations.CheckLevelCount(TensorInputs.ElementCount(input))
            ?? inputs.ReadNumbers(input, out levels);
    }

    private static RequestRefusal? ReadText(TensorInputs inputs, string name, out string? text)
    {
        text = null;
        if (inputs.Find(name) is not { } input)
        {
            return null;
        }

        if (TensorInputs.ElementCount(input) != 1)
        {
            return RequestRefusal.Invalid($"Input '{name}' must hold one string (shape [1]).");
        }

        if (TensorInputs.CheckRank(input, Declared(name)) is { } rank)
        {
            return rank;
        }

        if (inputs.ReadStrings(input, out var values) is { } refusal)
        {
            return refusal;
        }

        text = values[0];
        return null;
    }
}
