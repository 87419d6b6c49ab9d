using Lattice.Contracts.Inference;
using Lattice.Hosting.Models;

namespace Lattice.Hosting.Protocol;

/// <summary>Maps a <see cref="ModelSignature"/> to Open Inference Protocol tensors and back.</summary>
internal static class OipSignature
{
    public const string LabelOutput = "label";
    public const string ScoreOutput = "score";
    public const string ProbabilitiesOutput = "probabilities";
    public const string GenericOutput = "output";

    private static readonly string[] ClassifierOutputs = [LabelOutput, ScoreOutput, ProbabilitiesOutput];
    private static readonly string[] GenericOutputs = [GenericOutput];

    public static IReadOnlyList<string> OutputNames(ModelSignature signature) =>
        signature.IsClassifier ? ClassifierOutputs : GenericOutputs;

    public static MetadataTensor[] Inputs(ModelSignature signature) => signature.InputKind == ModelInputKind.Text
        ? [new MetadataTensor(signature.EffectiveInputName, InferenceDatatypes.Bytes, [-1])]
        : [new MetadataTensor(signature.EffectiveInputName, InferenceDatatypes.Fp32, [-1, signature.FeatureCount])];

    public static MetadataTensor[] Outputs(ModelSignature signature) => signature.IsClassifier
        ?
        [
            new MetadataTensor(LabelOutput, InferenceDatatypes.Bytes, [-1]),
            new MetadataTensor(ScoreOutput, InferenceDatatypes.Fp32, [-1]),
            new MetadataTensor(ProbabilitiesOutput, InferenceDatatypes.Fp32, [-1, signature.OutputWidth]),
        ]
        : [new MetadataTensor(GenericOutput, InferenceDatatypes.Fp32, [-1, signature.OutputWidth])];

    /// <summary>Checks a parsed request against a version's signature and turns it into model inputs.</summary>
    public static RequestError BuildInputs(
        ParsedInferenceRequest request, ModelSignature signature, ModelServerLimitsOptions limits, out ModelInput[] inputs, out string? error)
    {
        inputs = [];
        var inputName = signature.EffectiveInputName;
        var expected = signature.InputKind == ModelInputKind.Text
            ? "BYTES, shape [n] or [n, 1]"
            : $"FP32 or another numeric datatype, shape [n, {signature.FeatureCount}] or [{signature.FeatureCount}]";
        if (request.Inputs.Count != 1 || !string.Equals(request.Inputs[0].Name, inputName, StringComparison.Ordinal))
        {
            error = $"The model takes exactly one input, '{inputName}' ({expected}).";
            return RequestError.BadInput;
        }

        var tensor = request.Inputs[0];
        var shape = tensor.Shape;
        long items;
        if (signature.InputKind == ModelInputKind.Text)
        {
            if (tensor.Datatype != TensorDatatype.Bytes || !(shape.Length == 1 || (shape.Length == 2 && shape[1] == 1)))
            {
                error = $"Input '{inputName}' must be {expected}; got {InferenceRequestParser.Name(tensor.Datatype)} with shape [{string.Join(", ", shape)}].";
                return RequestError.BadInput;
            }

            items = shape[0];
        }
        else
        {
            var rowShape = shape.Length == 1 ? shape[0] == signature.FeatureCount : shape.Length == 2 && shape[1] == signature.FeatureCount;
            if (tensor.Datatype == TensorDatatype.Bytes || !rowShape)
            {
                error = $"Input '{inputName}' must be {expected}; got {InferenceRequestParser.Name(tensor.Datatype)} with shape [{string.Join(", ", shape)}].";
                return RequestError.BadInput;
            }

            if (tensor.HasNonFinite && !signature.AllowsNonFiniteFeatures)
            {
                error = $"Input '{inputName}' holds NaN or an infinity, which this model does not accept.";
                return RequestError.BadInput;
            }

            items = shape.Length == 1 ? 1 : shape[0];
        }

        if (items == 0)
        {
            error = $"Input '{inputName}' holds no items.";
            return RequestError.BadInput;
        }

        if (items > limits.MaxBatchSize)
        {
            error = $"Input '{inputName}' holds {items} items; at most {limits.MaxBatchSize} are allowed (limit MaxBatchSize).";
            return RequestError.Limit;
        }

        if (request.Outputs is { } requested)
        {
            var names = OutputNames(signature);
            foreach (var name in requested)
            {
                if (!names.Contains(name))
                {
                    error = $"The model has no output '{name}'; its outputs are {string.Join(", ", names)}.";
                    return RequestError.BadInput;
                }
            }
        }

        inputs = new ModelInput[items];
        if (signature.InputKind == ModelInputKind.Text)
        {
            for (var i = 0; i < items; i++)
            {
                inputs[i] = ModelInput.FromText(tensor.Strings![i]);
            }
        }
        else
        {
            var width = signature.FeatureCount;
            var numbers = tensor.Numbers!;
            for (var i = 0; i < items; i++)
            {
                inputs[i] = ModelInput.FromFeatures(numbers.AsMemory(i * width, width));
            }
        }

        error = null;
        return RequestError.None;
    }
}
