namespace Lattice.ML.Text;

/// <summary>A convenience prediction result: the winning label, its probability and all class probabilities.</summary>
/// <param name="Label">The most probable label.</param>
/// <param name="Index">Its index in <see cref="TextClassifier.Labels"/>.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Probabilities">Probability of every class, in <see cref="TextClassifier.Labels"/> order.</param>
public sealed record TextPrediction(string Label, int Index, float Confidence, float[] Probabilities);
