using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Lattice.Contracts;
using Lattice.Orchestrator.Expressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Lattice.Orchestrator.Pipelines;

/// <summary>
/// Reads pipeline YAML into a validated <see cref="PipelineDefinition"/>. Every problem found is
/// reported (not only the first) as <c>file:line:column: message</c>: unknown or duplicate fields,
/// unknown services, duplicate step ids, references to unknown steps, cycles, bad expressions.
/// </summary>
public sealed partial class PipelineLoader(IReadOnlySet<string> knownServices, PipelineDefaults defaults)
{
    private static readonly HashSet<string> PipelineFields = ["name", "description", "deadline", "input", "steps", "output", "tables"];
    private static readonly HashSet<string> StepFields = ["id", "description", "service", "path", "input", "when", "timeout", "required", "fallback", "after", "value"];
    private static readonly HashSet<string> InputFields = ["type", "required", "minLength", "maxLength", "description"];

    /// <summary>Deepest nesting of lists and mappings a file may have; the templates are built recursively.</summary>
    public const int MaxDepth = 64;

    private readonly List<string> _errors = [];
    private string _file = string.Empty;

    /// <summary>Loads one file; throws <see cref="PipelineValidationException"/> listing every problem.</summary>
    public PipelineDefinition LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Load(File.ReadAllText(path), path);
    }

    public PipelineDefinition Load(string yaml, string sourcePath)
    {
        _errors.Clear();
        _file = sourcePath;
        var definition = Parse(yaml);
        if (_errors.Count > 0 || definition is null)
        {
            throw new PipelineValidationException(sourcePath, [.. _errors]);
        }

        return definition;
    }

    private PipelineDefinition? Parse(string yaml)
    {
        YamlMappingNode root;
        try
        {
            if (!CheckEvents(yaml))
            {
                return null;
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                Error(Mark.Empty, "a pipeline file holds exactly one YAML mapping (name, steps, ...)");
                return null;
            }

            root = mapping;
        }
        catch (YamlException e)
        {
            Error(e.Start, "invalid YAML: " + e.Message);
            return null;
        }

        CheckFields(root, PipelineFields, "pipeline");
        var name = RequiredScalar(root, "name", "pipeline");
        if (name is not null && !IdPattern().IsMatch(name))
        {
            Error(Child(root, "name")!.Start, $"pipeline name '{name}' must match {IdPattern()}");
        }

        var deadline = Duration(root, "deadline") ?? defaults.Deadline;
        var input = ParseInput(Child(root, "input"));
        var tables = Child(root, "tables") is { } tablesNode ? ToJson(tablesNode) as JsonObject : null;
        if (Child(root, "tables") is { } t && tables is null)
        {
            Error(t.Start, "tables must be a mapping of name → value");
        }

        var steps = ParseSteps(Child(root, "steps"), deadline);
        var output = Child(root, "output") is { } outputNode ? Template(outputNode) : null;
        if (steps is null || name is null)
        {
            return null;
        }

        var ordered = Order(steps, Child(root, "steps")!);
        CheckReferences(output, steps, Child(root, "output"), "output");
        if (ordered is null || _errors.Count > 0)
        {
            return null;
        }

        return new PipelineDefinition
        {
            Name = name,
            Description = OptionalScalar(root, "description"),
            SourcePath = _file,
            Deadline = deadline,
            Input = input,
            Steps = ordered,
            Output = output,
            Tables = tables,
            Stages = Stages(ordered),
        };
    }

    /// <summary>
    /// Refuses, before any node is built, what the representation model cannot hold safely: anchors and
    /// aliases (YamlDotNet resolves an alias into a shared node, so a self-reference recurses forever and an
    /// alias "billion laughs" expands without bound) and nesting deeper than <see cref="MaxDepth"/>.
    /// </summary>
    private bool CheckEvents(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        var valid = true;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    Error(alias.Start, $"aliases (*{alias.Value}) are not supported: write the value out");
                    valid = false;
                    break;
                case NodeEvent { Anchor.IsEmpty: false } anchored:
                    Error(anchored.Start, $"anchors (&{anchored.Anchor}) are not supported: write the value out");
                    valid = false;
                    break;
            }

            if (parser.Current is MappingStart or SequenceStart && ++depth > MaxDepth)
            {
                Error(parser.Current.Start, $"nesting deeper than {MaxDepth} levels of lists and mappings");
                return false;
            }

            if (parser.Current is MappingEnd or SequenceEnd)
            {
                depth--;
            }
        }

        return valid;
    }

    private List<InputField> ParseInput(YamlNode? node)
    {
        var fields = new List<InputField>();
        if (node is null)
        {
            return fields;
        }

        if (node is not YamlMappingNode mapping)
        {
            Error(node.Start, "input must be a mapping of field name → { type, required, minLength, maxLength }");
            return fields;
        }

        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (Key(keyNode, "input") is not { } fieldName)
            {
                continue;
            }

            if (valueNode is YamlScalarNode shorthand)
            {
                // "text: string" is short for "text: { type: string }".
                fields.Add(new InputField(fieldName, ParseType(shorthand), true, null, null));
                continue;
            }

            if (valueNode is not YamlMappingNode spec)
            {
                Error(valueNode.Start, $"input field '{fieldName}' must be a type name or a mapping");
                continue;
            }

            CheckFields(spec, InputFields, $"input field '{fieldName}'");
            var type = Child(spec, "type") is YamlScalarNode typeNode ? ParseType(typeNode) : InputType.Any;
            var required = Boolean(spec, "required") ?? true;
            var maxLength = Integer(spec, "maxLength", 1, int.MaxValue);
            var minLength = Integer(spec, "minLength", 0, int.MaxValue);
            if (minLength > maxLength)
            {
                Error(spec.Start, $"input field '{fieldName}': minLength ({minLength}) is above maxLength ({maxLength})");
            }

            fields.Add(new InputField(fieldName, type, required, maxLength, OptionalScalar(spec, "description"), minLength));
        }

        return fields;
    }

    private InputType ParseType(YamlScalarNode node)
    {
        if (Enum.TryParse<InputType>(node.Value, ignoreCase: true, out var type) && !int.TryParse(node.Value, CultureInfo.InvariantCulture, out _))
        {
            return type;
        }

        Error(node.Start, $"unknown input type '{node.Value}' (string, number, integer, boolean, object, array, any)");
        return InputType.Any;
    }

    private List<StepDefinition>? ParseSteps(YamlNode? node, TimeSpan deadline)
    {
        if (node is not YamlSequenceNode sequence || sequence.Children.Count == 0)
        {
            Error(node?.Start ?? Mark.Empty, "steps must be a non-empty list");
            return null;
        }

        var steps = new List<StepDefinition>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in sequence.Children)
        {
            if (item is not YamlMappingNode stepNode)
            {
                Error(item.Start, "each step must be a mapping with id, service, input, ...");
                continue;
            }

            CheckFields(stepNode, StepFields, "step");
            var id = RequiredScalar(stepNode, "id", "step");
            if (id is null)
            {
                continue;
            }

            if (!IdPattern().IsMatch(id))
            {
                Error(Child(stepNode, "id")!.Start, $"step id '{id}' must match {IdPattern()}");
            }

            if (!ids.Add(id))
            {
                Error(Child(stepNode, "id")!.Start, $"duplicate step id '{id}'");
                continue;
            }

            var valueNode = Child(stepNode, "value");
            var value = valueNode is null ? null : Template(valueNode);
            string? service = null;
            string? path = null;
            if (value is not null)
            {
                foreach (var callField in new[] { "service", "path", "input", "timeout", "fallback" })
                {
                    if (Child(stepNode, callField) is { } extra)
                    {
                        Error(extra.Start, $"step '{id}' computes a value, so '{callField}' does not apply (a step has either service or value)");
                    }
                }
            }
            else
            {
                service = RequiredScalar(stepNode, "service", $"step '{id}' (or give it a value)") ?? string.Empty;
                if (service.Length > 0 && !knownServices.Contains(service))
                {
                    Error(Child(stepNode, "service")!.Start,
                        $"step '{id}' calls unknown service '{service}' (known: {(knownServices.Count == 0 ? "none configured" : string.Join(", ", knownServices.Order(StringComparer.Ordinal)))})");
                }

                var pathNode = Child(stepNode, "path");
                path = OptionalScalar(stepNode, "path") ?? "/v1/" + service;
                if (!path.StartsWith('/') || path.Contains("..", StringComparison.Ordinal) || path.Contains("://", StringComparison.Ordinal))
                {
                    // Without a path, the path is derived from the service name, so the name is what to fix.
                    Error((pathNode ?? Child(stepNode, "service") ?? stepNode).Start, pathNode is null
                        ? $"step '{id}' service '{service}' gives the path '{path}', which is not a plain absolute path: give the step a 'path'"
                        : $"step '{id}' path '{path}' must be an absolute path such as /v1/{service}");
                }
            }

            var input = Child(stepNode, "input") is { } inputNode ? Template(inputNode) : new LiteralTemplate(new JsonObject());
            var when = When(stepNode, id);
            var required = Boolean(stepNode, "required") ?? true;
            var fallback = Child(stepNode, "fallback") is { } fallbackNode ? Template(fallbackNode) : null;
            if (required && fallback is not null)
            {
                Error(Child(stepNode, "fallback")!.Start, $"step '{id}' is required, so a fallback would never be used: set required: false");
            }

            var declaredTimeout = Duration(stepNode, "timeout");
            var timeout = declaredTimeout ?? (defaults.StepTimeout < deadline ? defaults.StepTimeout : deadline);
            if (timeout > deadline)
            {
                Error(Child(stepNode, "timeout")?.Start ?? stepNode.Start, $"step '{id}' timeout {timeout.TotalMilliseconds} ms exceeds the pipeline deadline {deadline.TotalMilliseconds} ms");
            }

            var references = new HashSet<string>(StringComparer.Ordinal);
            input.CollectStepReferences(references);
            value?.CollectStepReferences(references);
            when?.StepReferences.ToList().ForEach(r => references.Add(r));
            fallback?.CollectStepReferences(references);
            foreach (var after in Strings(stepNode, "after"))
            {
                references.Add(after);
            }

            steps.Add(new StepDefinition
            {
                Id = id,
                Description = OptionalScalar(stepNode, "description"),
                Service = service,
                Path = path,
                Value = value,
                Input = input,
                When = when,
                Timeout = timeout,
                Required = required,
                Fallback = fallback,
                DependsOn = [.. references.Order(StringComparer.Ordinal)],
                Line = (int)stepNode.Start.Line,
                Column = (int)stepNode.Start.Column,
            });
        }

        return steps;
    }

    private Expression? When(YamlMappingNode stepNode, string id)
    {
        switch (Child(stepNode, "when"))
        {
            case null:
                return null;
            case YamlScalarNode scalar:
                return CompileExpression(scalar, scalar.Value ?? string.Empty);
            case var other:
                // Ignoring it would run the step unconditionally.
                Error(other.Start, $"step '{id}' 'when' must be one expression such as $.steps.language.label == 'en', not a list or mapping");
                return null;
        }
    }

    /// <summary>Kahn's algorithm: a topological order, or an error naming the steps caught in a cycle.</summary>
    private List<StepDefinition>? Order(List<StepDefinition> steps, YamlNode stepsNode)
    {
        var byId = steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var step in steps)
        {
            foreach (var dependency in step.DependsOn)
            {
                if (!byId.ContainsKey(dependency))
                {
                    Error(new Mark(0, step.Line, step.Column), $"step '{step.Id}' reads or waits for unknown step '{dependency}'");
                }
            }
        }

        if (_errors.Count > 0)
        {
            return null;
        }

        // Each step's dependents in file order, built once: O(steps + edges), where scanning every step for the
        // dependents of each was quadratic (a 20,000-step file took seconds to load).
        var dependents = steps.ToDictionary(s => s.Id, _ => new List<StepDefinition>(), StringComparer.Ordinal);
        foreach (var step in steps)
        {
            foreach (var dependency in step.DependsOn)
            {
                dependents[dependency].Add(step);
            }
        }

        var remaining = steps.ToDictionary(s => s.Id, s => s.DependsOn.Count, StringComparer.Ordinal);
        var ordered = new List<StepDefinition>();
        var ready = new Queue<StepDefinition>(steps.Where(s => s.DependsOn.Count == 0));
        while (ready.Count > 0)
        {
            var step = ready.Dequeue();
            ordered.Add(step);
            foreach (var dependent in dependents[step.Id])
            {
                if (--remaining[dependent.Id] == 0)
                {
                    ready.Enqueue(dependent);
                }
            }
        }

        if (ordered.Count != steps.Count)
        {
            var placed = ordered.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var cyclic = steps.Where(s => !placed.Contains(s.Id)).Select(s => $"'{s.Id}' (line {s.Line})");
            Error(stepsNode.Start, "steps form a cycle: " + string.Join(", ", cyclic));
            return null;
        }

        return ordered;
    }

    private void CheckReferences(ValueTemplate? template, List<StepDefinition> steps, YamlNode? node, string what)
    {
        if (template is null || node is null)
        {
            return;
        }

        var references = new HashSet<string>(StringComparer.Ordinal);
        template.CollectStepReferences(references);
        foreach (var reference in references.Where(r => steps.All(s => s.Id != r)))
        {
            Error(node.Start, $"{what} reads unknown step '{reference}'");
        }
    }

    private static List<IReadOnlyList<string>> Stages(List<StepDefinition> ordered)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var step in ordered)
        {
            depth[step.Id] = step.DependsOn.Count == 0 ? 0 : step.DependsOn.Max(d => depth[d]) + 1;
        }

        return [.. ordered.GroupBy(s => depth[s.Id]).OrderBy(g => g.Key).Select(g => (IReadOnlyList<string>)[.. g.Select(s => s.Id)])];
    }

    /// <summary>
    /// YAML → template. A string starting with <c>$.</c> is a path; one starting with <c>=</c> is an
    /// expression; anything else is a literal (plain scalars become numbers, booleans or null as YAML says).
    /// </summary>
    private ValueTemplate Template(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var members = new List<KeyValuePair<string, ValueTemplate>>();
                foreach (var (key, value) in mapping.Children)
                {
                    if (Key(key, "a mapping") is { } name)
                    {
                        members.Add(new(name, Template(value)));
                    }
                }

                return new ObjectTemplate(members);
            case YamlSequenceNode sequence:
                return new ArrayTemplate([.. sequence.Children.Select(Template)]);
            case YamlScalarNode scalar:
                var text = scalar.Value ?? string.Empty;
                // Quoting a "$..." string makes it a literal; "=..." is an expression however it is quoted.
                if (scalar.Style == ScalarStyle.Plain && (text.StartsWith("$.", StringComparison.Ordinal) || text.StartsWith("$[", StringComparison.Ordinal)))
                {
                    return CompileExpression(scalar, text) is { } path ? new ExpressionTemplate(path) : new LiteralTemplate(null);
                }

                if (text.StartsWith('='))
                {
                    return CompileExpression(scalar, text[1..]) is { } expression ? new ExpressionTemplate(expression) : new LiteralTemplate(null);
                }

                return new LiteralTemplate(ScalarToJson(scalar));
            default:
                Error(node.Start, "unsupported YAML node");
                return new LiteralTemplate(null);
        }
    }

    private Expression? CompileExpression(YamlScalarNode node, string text)
    {
        try
        {
            return Expression.Compile(text);
        }
        catch (ExpressionException e)
        {
            Error(node.Start, "bad expression: " + e.Message);
            return null;
        }
    }

    private JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children
            .Select(c => (Name: Key(c.Key, "a table"), c.Value))
            .Where(c => c.Name is not null)
            .Select(c => new KeyValuePair<string, JsonNode?>(c.Name!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => ScalarToJson(scalar),
        _ => null,
    };

    private static JsonNode? ScalarToJson(YamlScalarNode scalar)
    {
        var text = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain || text is null)
        {
            return JsonValue.Create(text ?? string.Empty);
        }

        if (text is "null" or "~" or "")
        {
            return null;
        }

        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(text);
    }

    private void CheckFields(YamlMappingNode mapping, HashSet<string> allowed, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in mapping.Children.Keys)
        {
            if (Key(key, what) is not { } name)
            {
                continue;
            }

            if (!allowed.Contains(name))
            {
                Error(key.Start, $"unknown field '{name}' in {what} (allowed: {string.Join(", ", allowed)})");
            }
            else if (!seen.Add(name))
            {
                Error(key.Start, $"duplicate field '{name}' in {what}");
            }
        }
    }

    /// <summary>A mapping key as a name; a complex key (<c>? [a, b]</c>, a list or mapping) is an error.</summary>
    private string? Key(YamlNode key, string what)
    {
        if (key is YamlScalarNode scalar)
        {
            return scalar.Value ?? string.Empty;
        }

        Error(key.Start, $"keys in {what} must be plain names, not a list or mapping");
        return null;
    }

    private static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private string? RequiredScalar(YamlMappingNode mapping, string key, string what)
    {
        var value = OptionalScalar(mapping, key);
        if (string.IsNullOrWhiteSpace(value))
        {
            Error(Child(mapping, key)?.Start ?? mapping.Start, $"{what} needs a '{key}'");
            return null;
        }

        return value;
    }

    private string? OptionalScalar(YamlMappingNode mapping, string key)
    {
        var node = Child(mapping, key);
        if (node is null)
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            Error(node.Start, $"'{key}' must be a single value");
            return null;
        }

        return scalar.Value;
    }

    private bool? Boolean(YamlMappingNode mapping, string key)
    {
        var text = OptionalScalar(mapping, key);
        if (text is null)
        {
            return null;
        }

        if (text is "true" or "false")
        {
            return text == "true";
        }

        Error(Child(mapping, key)!.Start, $"'{key}' must be true or false, not '{text}'");
        return null;
    }

    private int? Integer(YamlMappingNode mapping, string key, int min, int max)
    {
        var text = OptionalScalar(mapping, key);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Error(Child(mapping, key)!.Start, $"'{key}' must be a whole number from {min} to {max}, not '{text}'");
        return null;
    }

    private IEnumerable<string> Strings(YamlMappingNode mapping, string key)
    {
        var node = Child(mapping, key);
        if (node is null)
        {
            return [];
        }

        if (node is YamlSequenceNode sequence && sequence.Children.All(c => c is YamlScalarNode))
        {
            return sequence.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty);
        }

        Error(node.Start, $"'{key}' must be a list of step ids");
        return [];
    }

    private TimeSpan? Duration(YamlMappingNode mapping, string key)
    {
        var text = OptionalScalar(mapping, key);
        if (text is null)
        {
            return null;
        }

        if (Durations.TryParse(text, out var value) && value > TimeSpan.Zero && value <= TimeSpan.FromMinutes(10))
        {
            return value;
        }

        Error(Child(mapping, key)!.Start, $"'{key}' must be a duration between 1ms and 10m such as 250ms, 2s or 1m, not '{text}'");
        return null;
    }

    private void Error(Mark mark, string message) =>
        _errors.Add(mark.Line > 0 ? $"{_file}:{mark.Line}:{mark.Column}: {message}" : $"{_file}: {message}");

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,62}$")]
    private static partial Regex IdPattern();
}

/// <summary>Defaults applied where a pipeline file is silent.</summary>
public sealed record PipelineDefaults(TimeSpan Deadline, TimeSpan StepTimeout);

/// <summary>A pipeline file that failed validation; the message lists every problem with its line.</summary>
public sealed class PipelineValidationException : Exception
{
    public PipelineValidationException(string path, IReadOnlyList<string> errors)
        : base($"Pipeline file {path} is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
    {
        Errors = errors;
    }

    public PipelineValidationException()
    {
        Errors = [];
    }

    public PipelineValidationException(string message)
        : base(message)
    {
        Errors = [message];
    }

    public PipelineValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; }
}
