using System.Text.Json.Nodes;
using Lattice.Orchestrator.Expressions;

namespace Lattice.Orchestrator.Tests.Expressions;

public sealed class ExpressionTests
{
    private static readonly ExpressionScope Scope = new(
        JsonNode.Parse("""{"text": "My card never arrived", "count": 3, "tags": ["a", "b"]}"""),
        new Dictionary<string, JsonNode?>
        {
            ["intent"] = JsonNode.Parse("""{"label": "card_arrival", "score": 0.93}"""),
            ["sentiment"] = JsonNode.Parse("""{"label": "negative", "score": 0.81}"""),
            ["skipped"] = null,
        },
        JsonNode.Parse("""{"replies": {"card_arrival": "5 days", "default": "soon"}}""")!.AsObject());

    [Theory]
    [InlineData("$.input.text", "\"My card never arrived\"")]
    [InlineData("$.steps.intent.label", "\"card_arrival\"")]
    [InlineData("$.steps.intent.missing", "null")]
    [InlineData("$.steps.skipped.label", "null")]
    [InlineData("$.steps.unknown.label", "null")]
    [InlineData("$.input.tags[1]", "\"b\"")]
    [InlineData("$.input.tags[-1]", "\"b\"")]
    [InlineData("$.input.tags[5]", "null")]
    [InlineData("$.tables.replies[$.steps.intent.label]", "\"5 days\"")]
    [InlineData("coalesce($.tables.replies[$.steps.sentiment.label], $.tables.replies.default)", "\"soon\"")]
    [InlineData("$.steps.sentiment.label == 'negative' and $.steps.sentiment.score >= 0.8", "true")]
    [InlineData("$.steps.sentiment.score > 0.9 or not ($.input.count < 3)", "true")]
    [InlineData("$.input.count == 3.0", "true")]
    [InlineData("$.input.count != '3'", "true")]
    [InlineData("upper(lower('AbC'))", "\"ABC\"")]
    [InlineData("contains($.input.text, 'card')", "true")]
    [InlineData("contains($.input.tags, 'c')", "false")]
    [InlineData("startsWith($.input.text, 'My')", "true")]
    [InlineData("len($.input.tags)", "2")]
    [InlineData("len('héllo')", "5")]
    [InlineData("len('😀😀x')", "3")] // Unicode scalar values, as minLength/maxLength count, not UTF-16 units (5)
    [InlineData("len('')", "0")]
    [InlineData("in($.steps.intent.label, 'lost_or_stolen_card', 'card_arrival')", "true")]
    [InlineData("!true", "false")]
    [InlineData("'it\\'s'", "\"it's\"")]
    [InlineData("-1.5e2", "-150")]
    [InlineData("null == $.steps.skipped", "true")]
    [InlineData("'a' < 'b' && 2 <= 2", "true")]
    [InlineData("$.input.text > 3", "false")]
    public void Evaluate_Expression_GivesExpectedJson(string source, string expectedJson)
    {
        var sut = Expression.Compile(source);

        var value = sut.Evaluate(Scope);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), value), $"{source} gave {value?.ToJsonString() ?? "null"}");
    }

    [Fact]
    public void StepReferences_PathsAndIndexes_AreCollected()
    {
        var sut = Expression.Compile("coalesce($.tables.t[$.steps.intent.label], $.steps.language.label, $.input.x)");

        Assert.Equal(["intent", "language"], sut.StepReferences.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("", "empty expression")]
    [InlineData("$.input.", "a name must follow '.'")]
    [InlineData("$.other.x", "a path starts with")]
    [InlineData("$.steps", "must be followed by a step id")]
    [InlineData("'open", "unterminated string")]
    [InlineData("frobnicate(1)", "unknown name 'frobnicate'")]
    [InlineData("len(1, 2)", "len() takes 1 argument")]
    [InlineData("(1 == 1", "expected ')'")]
    [InlineData("1 == 1 2", "unexpected '2'")]
    [InlineData("label == 'x'", "unknown name 'label'")]
    public void Compile_BadExpression_FailsWithReasonAndColumn(string source, string reason)
    {
        var error = Assert.Throws<ExpressionException>(() => Expression.Compile(source));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_LenOfLongEmojiString_CountsCharactersAsMaxLengthDoes()
    {
        var text = string.Concat(Enumerable.Repeat("😀", 30_000));
        var scope = new ExpressionScope(new JsonObject { ["text"] = text }, new Dictionary<string, JsonNode?>(), null);
        var sut = Expression.Compile("len($.input.text)");

        var value = sut.Evaluate(scope);

        Assert.Equal(30_000, value!.GetValue<int>());
    }

    [Fact]
    public void Compile_HostileNesting_IsRefusedNotStackOverflow()
    {
        var source = new string('(', 10_000) + "1" + new string(')', 10_000);

        var error = Assert.Throws<ExpressionException>(() => Expression.Compile(source));

        Assert.Contains("nested more than", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" or ", "'or'")]
    [InlineData(" || ", "'or'")]
    [InlineData(" and ", "'and'")]
    [InlineData(" && ", "'and'")]
    public void Compile_HostileChain_IsRefusedNotStackOverflow(string separator, string named)
    {
        // A left-deep tree of 100,000 binary nodes overflowed the stack when evaluated or searched for step references.
        var source = string.Join(separator, Enumerable.Repeat("$.input.t", 100_000));

        var error = Assert.Throws<ExpressionException>(() => Expression.Compile(source));

        Assert.Contains($"more than {ExpressionParser.MaxChainTerms} terms joined by {named}", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 400, "the message quotes the expression around the problem, not all of it");
        Assert.Equal(ExpressionParser.MaxChainTerms * ("$.input.t".Length + separator.Length), error.Position); // the first term too many
    }

    [Theory]
    [InlineData(" or ", "$.steps.intent.label == 'none'", "$.input.count == 3", "true")]
    [InlineData(" or ", "$.steps.intent.label == 'none'", "$.input.missing", "false")]
    [InlineData(" and ", "$.steps.intent.score > 0.95", "$.input.count == 3", "false")]
    [InlineData(" and ", "$.steps.intent.score > 0.5", "$.input.count == 3", "true")]
    [InlineData(" and ", "$.steps.intent.score > 0.5", "$.input.missing", "false")]
    public void Evaluate_ChainAtTheLimit_ShortCircuitsLikeNestedOperators(string separator, string term, string last, string expectedJson)
    {
        var sut = Expression.Compile(string.Join(separator, Enumerable.Repeat(term, ExpressionParser.MaxChainTerms - 1).Append(last)));

        var value = sut.Evaluate(Scope);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), value), value?.ToJsonString());
        Assert.Equal(["intent"], sut.StepReferences);
    }

    [Fact]
    public void Evaluate_MixedChains_AndBindsTighterThanOr()
    {
        var sut = Expression.Compile("false and true or true and true or false && false || $.steps.intent.label == 'x'");

        Assert.True(JsonNode.DeepEquals(JsonValue.Create(true), sut.Evaluate(Scope)));
        Assert.Equal(["intent"], sut.StepReferences);
    }

    [Fact]
    public void Evaluate_ResultIsDetached_CanBeAttachedToAnotherTree()
    {
        var sut = Expression.Compile("$.steps.intent");

        var first = new JsonObject { ["a"] = sut.Evaluate(Scope) };
        var second = new JsonObject { ["b"] = sut.Evaluate(Scope) };

        Assert.Equal("card_arrival", first["a"]!["label"]!.GetValue<string>());
        Assert.Equal("card_arrival", second["b"]!["label"]!.GetValue<string>());
    }
}
