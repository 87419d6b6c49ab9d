namespace Lattice.ML.Forecasting;

/// <summary>Derivative-free minimiser (Nelder–Mead simplex with the standard coefficients), used to fit smoothing parameters.</summary>
internal static class NelderMead
{
    public delegate double Objective(ReadOnlySpan<double> x);

    /// <summary>Minimises <paramref name="f"/> from <paramref name="start"/>; returns the best point and its value.</summary>
    public static (double[] X, double Value) Minimize(Objective f, double[] start, double[] step, int maxEvaluations = 1000, double tolerance = 1e-8)
    {
        var dim = start.Length;
        var simplex = new double[dim + 1][];
        var values = new double[dim + 1];
        simplex[0] = (double[])start.Clone();
        values[0] = f(simplex[0]);
        for (var i = 0; i < dim; i++)
        {
            var vertex = (double[])start.Clone();
            vertex[i] += step[i];
            simplex[i + 1] = vertex;
            values[i + 1] = f(vertex);
        }

        var evaluations = dim + 1;
        var centroid = new double[dim];
        var trial = new double[dim];
        var trial2 = new double[dim];
        while (evaluations < maxEvaluations)
        {
            Array.Sort(values, simplex);
            if (Math.Abs(values[dim] - values[0]) <= tolerance * (Math.Abs(values[0]) + tolerance))
            {
                break;
            }

            Array.Clear(centroid);
            for (var i = 0; i < dim; i++)
            {
                for (var j = 0; j < dim; j++)
                {
                    centroid[j] += simplex[i][j] / dim;
                }
            }

            Move(centroid, simplex[dim], -1.0, trial); // reflection
            var reflected = f(trial);
            evaluations++;
            if (reflected < values[0])
            {
                Move(centroid, simplex[dim], -2.0, trial2); // expansion
                var expanded = f(trial2);
                evaluations++;
                if (expanded < reflected)
                {
                    Accept(simplex, values, dim, trial2, expanded);
                }
                else
                {
                    Accept(simplex, values, dim, trial, reflected);
                }
            }
            else if (reflected < values[dim - 1])
            {
                Accept(simplex, values, dim, trial, reflected);
            }
            else
            {
                var outside = reflected < values[dim];
                Move(centroid, outside ? trial : simplex[dim], 0.5, trial2); // contraction
                var contracted = f(trial2);
                evaluations++;
                if (contracted < Math.Min(reflected, values[dim]))
                {
                    Accept(simplex, values, dim, trial2, contracted);
                }
                else
                {
                    for (var i = 1; i <= dim; i++)
                    {
                        // Shrink towards the best vertex.
                        for (var j = 0; j < dim; j++)
                        {
                            simplex[i][j] = simplex[0][j] + (0.5 * (simplex[i][j] - simplex[0][j]));
                        }

                        values[i] = f(simplex[i]);
                    }

                    evaluations += dim;
                }
            }
        }

        var best = 0;
        for (var i = 1; i <= dim; i++)
        {
            if (values[i] < values[best])
            {
                best = i;
            }
        }

        return (simplex[best], values[best]);
    }

    /// <summary>target = centroid + coefficient·(vertex − centroid).</summary>
    private static void Move(double[] centroid, double[] vertex, double coefficient, double[] target)
    {
        for (var j = 0; j < centroid.Length; j++)
        {
            target[j] = centroid[j] + (coefficient * (vertex[j] - centroid[j]));
        }
    }

    private static void Accept(double[][] simplex, double[] values, int worst, double[] point, double value)
    {
        Array.Copy(point, simplex[worst], point.Length);
        values[worst] = value;
    }
}
