using System.Text.Json.Nodes;

namespace Lattice.Orchestrator.Expressions;

/// <summary>
/// A compiled pipeline expression. Syntax (docs/pipelines.md): paths from <c>$</c>
/// (<c>$.input.text</c>, <c>$.steps.intent.label</c>, <c>$.tables.replies[$.steps.intent.label]</c>),
/// string/number/boolean/null literals, <c>== != &lt; &lt;= &gt; &gt;=</c>, <c>and or not</c>,
/// parentheses and a few functions (<c>coalesce lower upper contains startsWith len in</c>).
/// </summary>
public sealed class Expression
{
    private readonly ExpressionNode _root;

    private Expression(string source, ExpressionNode root, IReadOnlySet<string> stepReferences)
    {
        Source = source;
        _root = root;
        StepReferences = stepReferences;
    }

    /// <summary>The text the expression was compiled from.</summary>
    public string Source { get; }

    /// <summary>Ids of the steps whose outputs the expression reads: the step that uses it depends on them.</summary>
    public IReadOnlySet<string> StepReferences { get; }

    /// <summary>Compiles an expression or throws <see cref="ExpressionException"/> with the column of the problem.</summary>
    public static Expression Compile(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var root = new ExpressionParser(source).ParseAll();
        var references = new HashSet<string>(StringComparer.Ordinal);
        root.CollectStepReferences(references);
        return new Expression(source, root, references);
    }

    /// <summary>Evaluates against the run's data; a missing path yields null, never an exception.</summary>
    public JsonNode? Evaluate(ExpressionScope scope) => _root.Evaluate(scope);

    /// <summary>Evaluates and applies truthiness (null, false, "", 0 and empty arrays are false).</summary>
    public bool EvaluateCondition(ExpressionScope scope) => ExpressionValues.IsTruthy(_root.Evaluate(scope));

    public override string ToString() => Source;
}

/// <summary>What a path can read: <c>$.input</c>, <c>$.steps.&lt;id&gt;</c> and <c>$.tables.&lt;name&gt;</c>.</summary>
public sealed class ExpressionScope(JsonNode? input, IReadOnlyDictionary<string, JsonNode?> steps, JsonObject? tables)
{
    public JsonNode? Input { get; } = input;

    public IReadOnlyDictionary<string, JsonNode?> Steps { get; } = steps;

    public JsonObject? Tables { get; } = tables;
}

/// <summary>An expression that does not parse; <see cref="Position"/> is the zero-based column.</summary>
public sealed class ExpressionException : Exception
{
    public ExpressionException(string message, int position)
        : base(message)
    {
        Position = position;
    }

    public ExpressionException()
    {
    }

    public ExpressionException(string message)
        : base(message)
    {
    }

    public ExpressionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Position { get; }
}
