using System.Text.Json.Nodes;

namespace Lattice.Orchestrator.Expressions;

/// <summary>A node of a compiled expression tree.</summary>
internal abstract class ExpressionNode
{
    public abstract JsonNode? Evaluate(ExpressionScope scope);

    public virtual void CollectStepReferences(ISet<string> references)
    {
    }

    /// <summary>Values are cloned on the way out so a caller can attach them to a new JSON tree.</summary>
    protected static JsonNode? Detach(JsonNode? node) => node?.DeepClone();
}

internal sealed class LiteralNode(JsonNode? value) : ExpressionNode
{
    public override JsonNode? Evaluate(ExpressionScope scope) => Detach(value);
}

/// <summary>One segment of a path: a fixed name or a computed index/key.</summary>
internal readonly record struct PathSegment(string? Name, ExpressionNode? Index);

internal sealed class PathNode(IReadOnlyList<PathSegment> segments) : ExpressionNode
{
    public const string InputRoot = "input";
    public const string StepsRoot = "steps";
    public const string TablesRoot = "tables";

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        var root = segments[0].Name;
        JsonNode? current;
        var next = 1;
        switch (root)
        {
            case InputRoot:
                current = scope.Input;
                break;
            case TablesRoot:
                current = scope.Tables;
                break;
            case StepsRoot:
                if (segments.Count < 2 || segments[1].Name is not { } stepId)
                {
                    return null;
                }

                current = scope.Steps.TryGetValue(stepId, out var output) ? output : null;
                next = 2;
                break;
            default:
                return null;
        }

        for (var i = next; i < segments.Count && current is not null; i++)
        {
            current = Step(current, segments[i], scope);
        }

        return Detach(current);
    }

    private static JsonNode? Step(JsonNode current, PathSegment segment, ExpressionScope scope)
    {
        if (segment.Name is { } name)
        {
            return current is JsonObject obj && obj.TryGetPropertyValue(name, out var child) ? child : null;
        }

        var key = segment.Index!.Evaluate(scope);
        if (current is JsonArray array && ExpressionValues.TryNumber(key, out var number))
        {
            if (number != Math.Floor(number) || Math.Abs(number) > int.MaxValue)
            {
                return null;
            }

            // Negative indexes count from the end, as in JSONPath.
            var index = number < 0 ? array.Count + (int)number : (int)number;
            return index >= 0 && index < array.Count ? array[index] : null;
        }

        return current is JsonObject map && ExpressionValues.AsText(key) is { } text && map.TryGetPropertyValue(text, out var value)
            ? value
            : null;
    }

    public override void CollectStepReferences(ISet<string> references)
    {
        if (segments[0].Name == StepsRoot && segments.Count > 1 && segments[1].Name is { } stepId)
        {
            references.Add(stepId);
        }

        foreach (var segment in segments)
        {
            segment.Index?.CollectStepReferences(references);
        }
    }
}

internal enum BinaryOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

internal sealed class BinaryNode(BinaryOperator op, ExpressionNode left, ExpressionNode right) : ExpressionNode
{
    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        var a = left.Evaluate(scope);
        var b = right.Evaluate(scope);
        return op switch
        {
            BinaryOperator.Equal => ExpressionValues.AreEqual(a, b),
            BinaryOperator.NotEqual => !ExpressionValues.AreEqual(a, b),
            _ => ExpressionValues.Compare(a, b) is { } order && op switch
            {
                BinaryOperator.Less => order < 0,
                BinaryOperator.LessOrEqual => order <= 0,
                BinaryOperator.Greater => order > 0,
                _ => order >= 0,
            },
        };
    }

    public override void CollectStepReferences(ISet<string> references)
    {
        left.CollectStepReferences(references);
        right.CollectStepReferences(references);
    }
}

internal enum LogicalOperator
{
    And,
    Or,
}

/// <summary>An <c>and</c>/<c>or</c> chain: its operands in order, evaluated in a loop and short-circuited.</summary>
internal sealed class LogicalNode(LogicalOperator op, IReadOnlyList<ExpressionNode> operands) : ExpressionNode
{
    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        // and: false at the first falsy operand; or: true at the first truthy one.
        var stopAt = op == LogicalOperator.Or;
        foreach (var operand in operands)
        {
            if (ExpressionValues.IsTruthy(operand.Evaluate(scope)) == stopAt)
            {
                return stopAt;
            }
        }

        return !stopAt;
    }

    public override void CollectStepReferences(ISet<string> references)
    {
        foreach (var operand in operands)
        {
            operand.CollectStepReferences(references);
        }
    }
}

internal sealed class NotNode(ExpressionNode operand) : ExpressionNode
{
    public override JsonNode? Evaluate(ExpressionScope scope) => !ExpressionValues.IsTruthy(operand.Evaluate(scope));

    public override void CollectStepReferences(ISet<string> references) => operand.CollectStepReferences(references);
}

internal sealed class FunctionNode(string name, IReadOnlyList<ExpressionNode> arguments) : ExpressionNode
{
    /// <summary>Function names and their allowed argument counts (max -1 = any).</summary>
    public static readonly IReadOnlyDictionary<string, (int Min, int Max)> Arity = new Dictionary<string, (int, int)>(StringComparer.Ordinal)
    {
        ["coalesce"] = (1, -1),
        ["lower"] = (1, 1),
        ["upper"] = (1, 1),
        ["contains"] = (2, 2),
        ["startsWith"] = (2, 2),
        ["len"] = (1, 1),
        ["in"] = (2, -1),
    };

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        switch (name)
        {
            case "coalesce":
                foreach (var argument in arguments)
                {
                    if (argument.Evaluate(scope) is { } value)
                    {
                        return value;
                    }
                }

                return null;
            case "lower":
                return ExpressionValues.AsText(arguments[0].Evaluate(scope))?.ToLowerInvariant();
            case "upper":
                return ExpressionValues.AsText(arguments[0].Evaluate(scope))?.ToUpperInvariant();
            case "contains":
                return Contains(arguments[0].Evaluate(scope), arguments[1].Evaluate(scope));
            case "startsWith":
                return ExpressionValues.AsText(arguments[0].Evaluate(scope)) is { } text
                    && ExpressionValues.AsText(arguments[1].Evaluate(scope)) is { } prefix
                    && text.StartsWith(prefix, StringComparison.Ordinal);
            case "len":
                return arguments[0].Evaluate(scope) switch
                {
                    JsonArray array => array.Count,
                    JsonObject obj => obj.Count,
                    var other when ExpressionValues.TryString(other, out var s) => ExpressionValues.CharacterCount(s),
                    _ => null,
                };
            default: // "in"
                var needle = arguments[0].Evaluate(scope);
                for (var i = 1; i < arguments.Count; i++)
                {
                    if (ExpressionValues.AreEqual(needle, arguments[i].Evaluate(scope)))
                    {
                        return true;
                    }
                }

                return false;
        }
    }

    private static bool Contains(JsonNode? haystack, JsonNode? needle) => haystack switch
    {
        JsonArray array => array.Any(item => ExpressionValues.AreEqual(item, needle)),
        JsonObject obj => ExpressionValues.AsText(needle) is { } key && obj.ContainsKey(key),
        _ => ExpressionValues.AsText(haystack) is { } text && ExpressionValues.AsText(needle) is { } part
            && text.Contains(part, StringComparison.Ordinal),
    };

    public override void CollectStepReferences(ISet<string> references)
    {
        foreach (var argument in arguments)
        {
            argument.CollectStepReferences(references);
        }
    }
}
