using System.Text.Json.Nodes;
using Lattice.Orchestrator.Expressions;

namespace Lattice.Orchestrator.Pipelines;

/// <summary>
/// A JSON shape declared in YAML whose leaves are literals or expressions: a step's input, its
/// fallback, the pipeline's output. Evaluating it builds a fresh JSON tree for one run.
/// </summary>
public abstract class ValueTemplate
{
    /// <summary>Ids of the steps any expression in the template reads.</summary>
    public abstract void CollectStepReferences(ISet<string> references);

    public abstract JsonNode? Evaluate(ExpressionScope scope);

    /// <summary>A JSON-ish description for the DAG listing: expressions as their source text.</summary>
    public abstract JsonNode? Describe();
}

internal sealed class LiteralTemplate(JsonNode? value) : ValueTemplate
{
    public override void CollectStepReferences(ISet<string> references)
    {
    }

    public override JsonNode? Evaluate(ExpressionScope scope) => value?.DeepClone();

    public override JsonNode? Describe() => value?.DeepClone();
}

internal sealed class ExpressionTemplate(Expression expression) : ValueTemplate
{
    public Expression Expression { get; } = expression;

    public override void CollectStepReferences(ISet<string> references) => references.UnionWith(Expression.StepReferences);

    public override JsonNode? Evaluate(ExpressionScope scope) => Expression.Evaluate(scope);

    public override JsonNode? Describe() => JsonValue.Create("= " + Expression.Source);
}

internal sealed class ObjectTemplate(IReadOnlyList<KeyValuePair<string, ValueTemplate>> members) : ValueTemplate
{
    public override void CollectStepReferences(ISet<string> references)
    {
        foreach (var (_, member) in members)
        {
            member.CollectStepReferences(references);
        }
    }

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        var result = new JsonObject();
        foreach (var (name, member) in members)
        {
            result[name] = member.Evaluate(scope);
        }

        return result;
    }

    public override JsonNode? Describe()
    {
        var result = new JsonObject();
        foreach (var (name, member) in members)
        {
            result[name] = member.Describe();
        }

        return result;
    }
}

internal sealed class ArrayTemplate(IReadOnlyList<ValueTemplate> items) : ValueTemplate
{
    public override void CollectStepReferences(ISet<string> references)
    {
        foreach (var item in items)
        {
            item.CollectStepReferences(references);
        }
    }

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        var result = new JsonArray();
        foreach (var item in items)
        {
            result.Add(item.Evaluate(scope));
        }

        return result;
    }

    public override JsonNode? Describe() => new JsonArray([.. items.Select(i => i.Describe())]);
}
