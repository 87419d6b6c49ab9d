namespace Lattice.ML.Tabular;

/// <summary>Draws from distributions the tabular models and demo data generators need, from an injected <see cref="Random"/>.</summary>
internal static class RandomExtensions
{
    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double NextGaussian(this Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
