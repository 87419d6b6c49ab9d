using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lattice.Orchestrator.Expressions;

/// <summary>Truthiness, equality and ordering over JSON values, in one place.</summary>
internal static class ExpressionValues
{
    /// <summary>
    /// Characters as JSON Schema's maxLength counts them: Unicode scalar values, so an emoji is one, not two UTF-16
    /// units (never more than the UTF-16 length, so a string within a limit in UTF-16 units needs no counting).
    /// Input validation's minLength/maxLength and the len() function both count this way.
    /// </summary>
    public static int CharacterCount(string s)
    {
        var count = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    public static bool IsTruthy(JsonNode? value) => value switch
    {
        null => false,
        JsonArray array => array.Count > 0,
        JsonObject => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length > 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => AsDouble(v) != 0,
        _ => true,
    };

    public static bool AreEqual(JsonNode? left, JsonNode? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null;
        }

        if (TryNumber(left, out var a) && TryNumber(right, out var b))
        {
            return a.Equals(b);
        }

        return JsonNode.DeepEquals(left, right);
    }

    /// <summary>Orders two numbers or two strings; anything else is not comparable (null).</summary>
    public static int? Compare(JsonNode? left, JsonNode? right)
    {
        if (TryNumber(left, out var a) && TryNumber(right, out var b))
        {
            return a.CompareTo(b);
        }

        if (TryString(left, out var s) && TryString(right, out var t))
        {
            return string.CompareOrdinal(s, t);
        }

        return null;
    }

    public static bool TryString(JsonNode? node, out string value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            value = v.GetValue<string>();
            return true;
        }

        value = string.Empty;
        return false;
    }

    public static bool TryNumber(JsonNode? node, out double value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            value = AsDouble(v);
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Text of a value as a key or for string functions: strings as-is, numbers invariant, others as JSON.</summary>
    public static string? AsText(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => AsDouble(v).ToString(CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };

    private static double AsDouble(JsonValue value) =>
        value.TryGetValue<double>(out var d) ? d
        : value.TryGetValue<long>(out var l) ? l
        : value.TryGetValue<int>(out var i) ? i
        : value.TryGetValue<decimal>(out var m) ? (double)m
        : value.TryGetValue<float>(out var f) ? f
        : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
}
