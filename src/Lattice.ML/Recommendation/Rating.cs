namespace Lattice.ML.Recommendation;

/// <summary>One explicit rating of an item by a user (ids are opaque strings).</summary>
public readonly record struct Rating(string User, string Item, float Value);

/// <summary>An item with a score (predicted rating, similarity or popularity, depending on the call).</summary>
public readonly record struct ScoredItem(string Item, float Score);
