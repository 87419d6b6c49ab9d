namespace Lattice.Hosting.Protocol;

/// <summary>Element counts of declared tensor shapes, computed without overflow.</summary>
internal static class TensorShape
{
    /// <summary>
    /// The elements <paramref name="shape"/> declares, or false as soon as the running product passes
    /// <paramref name="limit"/>: the product is compared before it is formed, so a huge dimension can never wrap it
    /// negative (or to a small number) and slip under the limit. Callers refuse negative dimensions first (one gives false).
    /// </summary>
    public static bool TryCountElements(IReadOnlyList<long> shape, long limit, out long count)
    {
        // A zero anywhere makes the tensor empty, whatever the other dimensions: [2^62, 0] holds nothing, not too much.
        for (var i = 0; i < shape.Count; i++)
        {
            if (shape[i] == 0)
            {
                count = 0;
                return true;
            }
        }

        count = 1;
        for (var i = 0; i < shape.Count; i++)
        {
            var dimension = shape[i];
            if (count > limit / dimension)
            {
                count = 0;
                return false;
            }

            count *= dimension;
        }

        return true;
    }
}
