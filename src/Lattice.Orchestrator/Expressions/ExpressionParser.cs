using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Lattice.Orchestrator.Expressions;

/// <summary>A recursive-descent parser for the pipeline expression syntax; errors carry the column.</summary>
internal sealed class ExpressionParser(string source)
{
    /// <summary>Deeper nesting than this is refused rather than risking the stack on hostile input.</summary>
    private const int MaxDepth = 64;

    /// <summary>
    /// Most terms one <c>and</c>/<c>or</c> chain may join. A chain is one n-ary node evaluated in a loop, so its
    /// length costs no stack; the bound keeps a generated 100,000-term condition from loading at all.
    /// </summary>
    public const int MaxChainTerms = 1000;

    /// <summary>Longest source quoted whole in an error; a longer one is quoted around the problem.</summary>
    private const int MaxQuoted = 160;

    private int _position;
    private int _depth;

    public ExpressionNode ParseAll()
    {
        SkipSpace();
        if (_position >= source.Length)
        {
            throw Error("empty expression");
        }

        var node = ParseOr();
        SkipSpace();
        if (_position < source.Length)
        {
            throw Error($"unexpected '{source[_position]}'");
        }

        return node;
    }

    private ExpressionNode ParseOr() => ParseChain(LogicalOperator.Or, "or", "||", ParseAnd);

    private ExpressionNode ParseAnd() => ParseChain(LogicalOperator.And, "and", "&&", ParseNot);

    /// <summary>
    /// <c>a or b or c</c> as one node with three operands: a left-deep tree of binary nodes would be as deep as
    /// the chain is long, and evaluating it recursive enough to overflow the stack.
    /// </summary>
    private ExpressionNode ParseChain(LogicalOperator op, string keyword, string symbol, Func<ExpressionNode> parseOperand)
    {
        var first = parseOperand();
        if (!(TryKeyword(keyword) || TrySymbol(symbol)))
        {
            return first;
        }

        var operands = new List<ExpressionNode> { first };
        do
        {
            if (operands.Count == MaxChainTerms)
            {
                SkipSpace();
                throw Error($"more than {MaxChainTerms} terms joined by '{keyword}'");
            }

            operands.Add(parseOperand());
        }
        while (TryKeyword(keyword) || TrySymbol(symbol));

        return new LogicalNode(op, operands);
    }

    private ExpressionNode ParseNot()
    {
        if (TryKeyword("not") || (Peek('!') && !PeekAt(1, '=') && TrySymbol("!")))
        {
            return Nested(() => new NotNode(ParseNot()));
        }

        return ParseComparison();
    }

    private ExpressionNode ParseComparison()
    {
        var left = ParsePrimary();
        BinaryOperator? op = TrySymbol("==") ? BinaryOperator.Equal
            : TrySymbol("!=") ? BinaryOperator.NotEqual
            : TrySymbol("<=") ? BinaryOperator.LessOrEqual
            : TrySymbol(">=") ? BinaryOperator.GreaterOrEqual
            : TrySymbol("<") ? BinaryOperator.Less
            : TrySymbol(">") ? BinaryOperator.Greater
            : null;
        return op is null ? left : new BinaryNode(op.Value, left, ParsePrimary());
    }

    private ExpressionNode ParsePrimary()
    {
        SkipSpace();
        if (_position >= source.Length)
        {
            throw Error("expression ends too early");
        }

        var c = source[_position];
        if (c == '(')
        {
            _position++;
            var inner = Nested(ParseOr);
            Expect(')');
            return inner;
        }

        if (c == '$')
        {
            return ParsePath();
        }

        if (c is '\'' or '"')
        {
            return new LiteralNode(JsonValue.Create(ParseString()));
        }

        if (char.IsAsciiDigit(c) || (c == '-' && _position + 1 < source.Length && char.IsAsciiDigit(source[_position + 1])))
        {
            return new LiteralNode(ParseNumber());
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            var start = _position;
            var word = ReadIdentifier();
            switch (word)
            {
                case "true":
                    return new LiteralNode(JsonValue.Create(true));
                case "false":
                    return new LiteralNode(JsonValue.Create(false));
                case "null":
                    return new LiteralNode(null);
            }

            if (!FunctionNode.Arity.TryGetValue(word, out var arity))
            {
                _position = start;
                throw Error($"unknown name '{word}' (paths start with '$', strings are quoted; functions: {string.Join(", ", FunctionNode.Arity.Keys)})");
            }

            Expect('(');
            var arguments = new List<ExpressionNode>();
            SkipSpace();
            if (!TrySymbol(")"))
            {
                do
                {
                    arguments.Add(Nested(ParseOr));
                }
                while (TrySymbol(","));
                Expect(')');
            }

            if (arguments.Count < arity.Min || (arity.Max >= 0 && arguments.Count > arity.Max))
            {
                _position = start;
                throw Error($"{word}() takes {(arity.Max == arity.Min ? arity.Min.ToString(CultureInfo.InvariantCulture) : arity.Max < 0 ? $"at least {arity.Min}" : $"{arity.Min} to {arity.Max}")} argument(s), not {arguments.Count}");
            }

            return new FunctionNode(word, arguments);
        }

        throw Error($"unexpected '{c}'");
    }

    private PathNode ParsePath()
    {
        var start = _position;
        _position++; // '$'
        var segments = new List<PathSegment>();
        while (_position < source.Length)
        {
            if (source[_position] == '.')
            {
                _position++;
                if (_position >= source.Length || !(char.IsAsciiLetterOrDigit(source[_position]) || source[_position] is '_' or '-'))
                {
                    throw Error("a name must follow '.'");
                }

                segments.Add(new PathSegment(ReadIdentifier(allowDash: true), null));
            }
            else if (source[_position] == '[')
            {
                _position++;
                var index = Nested(ParseOr);
                Expect(']');
                segments.Add(new PathSegment(null, index));
            }
            else
            {
                break;
            }
        }

        if (segments.Count == 0 || segments[0].Name is not (PathNode.InputRoot or PathNode.StepsRoot or PathNode.TablesRoot))
        {
            _position = start;
            throw Error("a path starts with $.input, $.steps.<step> or $.tables.<table>");
        }

        if (segments[0].Name == PathNode.StepsRoot && (segments.Count < 2 || segments[1].Name is null))
        {
            _position = start;
            throw Error("$.steps must be followed by a step id, e.g. $.steps.intent.label");
        }

        return new PathNode(segments);
    }

    private string ParseString()
    {
        var quote = source[_position];
        var start = _position;
        _position++;
        var builder = new StringBuilder();
        while (_position < source.Length)
        {
            var c = source[_position++];
            if (c == quote)
            {
                return builder.ToString();
            }

            if (c == '\\' && _position < source.Length)
            {
                var escaped = source[_position++];
                builder.Append(escaped switch
                {
                    'n' => '\n',
                    't' => '\t',
                    _ => escaped,
                });
            }
            else
            {
                builder.Append(c);
            }
        }

        _position = start;
        throw Error("unterminated string");
    }

    private JsonValue ParseNumber()
    {
        var start = _position;
        if (source[_position] == '-')
        {
            _position++;
        }

        while (_position < source.Length && (char.IsAsciiDigit(source[_position]) || source[_position] is '.' or 'e' or 'E'
            || (source[_position] is '+' or '-' && source[_position - 1] is 'e' or 'E')))
        {
            _position++;
        }

        var text = source[start.._position];
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        _position = start;
        throw Error($"'{text}' is not a number");
    }

    private string ReadIdentifier(bool allowDash = false)
    {
        var start = _position;
        while (_position < source.Length && (char.IsAsciiLetterOrDigit(source[_position]) || source[_position] == '_' || (allowDash && source[_position] == '-')))
        {
            _position++;
        }

        return source[start.._position];
    }

    private T Nested<T>(Func<T> parse)
    {
        if (++_depth > MaxDepth)
        {
            throw Error($"nested more than {MaxDepth} levels deep");
        }

        try
        {
            return parse();
        }
        finally
        {
            _depth--;
        }
    }

    private bool TryKeyword(string keyword)
    {
        SkipSpace();
        if (string.CompareOrdinal(source, _position, keyword, 0, keyword.Length) == 0
            && (_position + keyword.Length == source.Length || !(char.IsAsciiLetterOrDigit(source[_position + keyword.Length]) || source[_position + keyword.Length] == '_')))
        {
            _position += keyword.Length;
            return true;
        }

        return false;
    }

    private bool TrySymbol(string symbol)
    {
        SkipSpace();
        if (string.CompareOrdinal(source, _position, symbol, 0, symbol.Length) == 0)
        {
            _position += symbol.Length;
            return true;
        }

        return false;
    }

    private bool Peek(char c)
    {
        SkipSpace();
        return _position < source.Length && source[_position] == c;
    }

    private bool PeekAt(int offset, char c) => _position + offset < source.Length && source[_position + offset] == c;

    private void Expect(char c)
    {
        SkipSpace();
        if (_position >= source.Length || source[_position] != c)
        {
            throw Error(_position >= source.Length ? $"expected '{c}' but the expression ended" : $"expected '{c}' but found '{source[_position]}'");
        }

        _position++;
    }

    private void SkipSpace()
    {
        while (_position < source.Length && char.IsWhiteSpace(source[_position]))
        {
            _position++;
        }
    }

    private ExpressionException Error(string message) =>
        new($"{message} at column {_position + 1} of \"{Quote()}\"", _position);

    private string Quote()
    {
        if (source.Length <= MaxQuoted)
        {
            return source;
        }

        var start = Math.Max(0, _position - (MaxQuoted / 2));
        var end = Math.Min(source.Length, start + MaxQuoted);
        return (start > 0 ? "…" : string.Empty) + source[start..end] + (end < source.Length ? "…" : string.Empty);
    }
}
