using System.Globalization;
using System.Text.Json;
using Lattice.Contracts.Inference;
using Lattice.Hosting.Typed;
using Lattice.ML.Recommendation;
using Lattice.Services.Recommender.Serving;

namespace Lattice.Services.Recommender.Apis;

/// <summary>
/// The recommender on the Open Inference Protocol. Inputs: <c>user</c> (recommendations) or <c>item</c> (similar
/// items), <c>BYTES [n]</c> ids (or integer ids, sent as <c>INT64</c>/<c>INT32</c>), and optionally <c>k</c>
/// (<c>INT32 [1]</c>). Outputs: <c>items</c> (<c>BYTES [n, k]</c>), <c>scores</c> (<c>FP32 [n, k]</c>) and
/// <c>source</c> (<c>BYTES [n]</c>: <c>model</c> or <c>fallback</c>). A list shorter than k (the user rated
/// nearly everything) is padded with <c>""</c> and score 0, since a tensor is rectangular.
/// </summary>
internal sealed class RecommenderTensorContract(RecommenderServiceOptions options)
    : TensorContract<RecommenderModel, RecommendationQuery, RecommendationResult[]>
{
    public const string UserInput = "user";
    public const string ItemInput = "item";
    public const string KInput = "k";
    public const string ItemsOutput = "items";
    public const string ScoresOutput = "scores";
    public const string SourceOutput = "source";

    /// <summary><c>k</c> as metadata declares it; a <c>k</c> of another rank (<c>[1, 1]</c>, <c>[]</c>) is refused.</summary>
    private static readonly MetadataTensor DeclaredK = new(KInput, InferenceDatatypes.Int32, [1]);

    public override IReadOnlyList<MetadataTensor> Inputs { get; } =
    [
        new(UserInput, InferenceDatatypes.Bytes, [-1]),
        new(ItemInput, InferenceDatatypes.Bytes, [-1]),
        DeclaredK,
    ];

    public override IReadOnlyList<MetadataTensor> Outputs { get; } =
    [
        new(ItemsOutput, InferenceDatatypes.Bytes, [-1, -1]),
        new(ScoresOutput, InferenceDatatypes.Fp32, [-1, -1]),
        new(SourceOutput, InferenceDatatypes.Bytes, [-1]),
    ];

    public override ModelOperation<RecommenderModel, RecommendationQuery, RecommendationResult[]> Operation => RecommenderOperations.Lists;

    public override int CountItems(RecommendationQuery request) => request.Keys.Count;

    public override TensorBinding<RecommendationQuery> Bind(TensorInputs inputs)
    {
        if (inputs.CheckNames(UserInput, ItemInput, KInput) is { } unknown)
        {
            return TensorBinding<RecommendationQuery>.Refused(unknown);
        }

        var users = inputs.Find(UserInput);
        var items = inputs.Find(ItemInput);
        if ((users is null) == (items is null))
        {
            return TensorBinding<RecommendationQuery>.Refused(RequestRefusal.Invalid(
                $"Give exactly one of '{UserInput}' (recommendations) or '{ItemInput}' (similar items)."));
        }

        var keysInput = (users ?? items)!;
        if (ReadIds(inputs, keysInput, out var keys) is { } badKeys)
        {
            return TensorBinding<RecommendationQuery>.Refused(badKeys);
        }

        long? requestedK = null;
        if (inputs.Find(KInput) is { } kInput)
        {
            // Checked on the declared shape, before any data is read: one element, whatever the data holds.
            if (TensorInputs.ElementCount(kInput) != 1)
            {
                return TensorBinding<RecommendationQuery>.Refused(RequestRefusal.Invalid($"Input '{KInput}' must hold one integer (shape [1])."));
            }

            if (TensorInputs.CheckRank(kInput, DeclaredK) is { } badRank)
            {
                return TensorBinding<RecommendationQuery>.Refused(badRank);
            }

            if (inputs.ReadIntegers(kInput, out var k) is { } badK)
            {
                return TensorBinding<RecommendationQuery>.Refused(badK);
            }

            requestedK = k[0];
        }

        return RecommenderOperations.ResolveK(requestedK, options, out var resolved) is { } refusal
            ? TensorBinding<RecommendationQuery>.Refused(refusal)
            : TensorBinding<RecommendationQuery>.Bound(new RecommendationQuery(keys, SimilarItems: items is not null, resolved));
    }

    public override void WriteOutput(Utf8JsonWriter writer, string name, RecommendationQuery request, RecommendationResult[] result)
    {
        var rows = result.Length;
        switch (name)
        {
            case ItemsOutput:
                TensorJson.StartData(writer, InferenceDatatypes.Bytes, rows, request.K);
                foreach (var list in result)
                {
                    for (var j = 0; j < request.K; j++)
                    {
                        writer.WriteStringValue(j < list.Items.Count ? list.Items[j].Item : string.Empty);
                    }
                }

                break;
            case ScoresOutput:
                TensorJson.StartData(writer, InferenceDatatypes.Fp32, rows, request.K);
                foreach (var list in result)
                {
                    for (var j = 0; j < request.K; j++)
                    {
                        writer.WriteNumberValue(j < list.Items.Count ? list.Items[j].Score : 0f);
                    }
                }

                break;
            default:
                TensorJson.StartData(writer, InferenceDatatypes.Bytes, rows);
                foreach (var list in result)
                {
                    writer.WriteStringValue(RecommenderOperations.SourceName(list.Source));
                }

                break;
        }

        TensorJson.EndData(writer);
    }

    /// <summary>
    /// Ids as strings: a BYTES tensor, or an integer one (formatted invariantly); shape [n] or [n, 1], 1 ≤ n ≤ MaxBatchSize.
    /// [n, 1] is a documented form (docs/tabular-services.md, as for text models), so ids are not held to their metadata's rank.
    /// </summary>
    private static RequestRefusal? ReadIds(TensorInputs inputs, InferenceRequestInput input, out string[] ids)
    {
        ids = [];
        var shape = input.Shape;
        if (!(shape.Count == 1 || (shape.Count == 2 && shape[1] == 1)))
        {
            return RequestRefusal.Invalid($"Input '{input.Name}' must have shape [n] or [n, 1]; got [{string.Join(", ", shape)}].");
        }

        if (shape[0] == 0)
        {
            return RequestRefusal.Invalid($"Input '{input.Name}' holds no ids.");
        }

        if (shape[0] > inputs.Limits.MaxBatchSize)
        {
            return RequestRefusal.Limit($"Input '{input.Name}' holds {shape[0]} ids; at most {inputs.Limits.MaxBatchSize} are allowed (limit MaxBatchSize).");
        }

        if (input.Datatype == InferenceDatatypes.Bytes)
        {
            if (inputs.ReadStrings(input, out ids) is { } badStrings)
            {
                return badStrings;
            }
        }
        else if (!InferenceDatatypes.IsInteger(input.Datatype))
        {
            return RequestRefusal.Invalid($"Input '{input.Name}' must be BYTES (ids as strings) or an integer datatype (INT64, INT32, ...); got {input.Datatype}.");
        }
        else
        {
            if (inputs.ReadIntegers(input, out var numbers) is { } badNumbers)
            {
                return badNumbers;
            }

            ids = Array.ConvertAll(numbers, n => n.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var id in ids)
        {
            if (RecommenderOperations.CheckId(id, input.Name, inputs.Limits) is { } bad)
            {
                return bad;
            }
        }

        return null;
    }
}
