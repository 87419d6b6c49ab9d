using System.Globalization;
using Lattice.Bench.Tabular;

// Accuracy benchmark of the tabular models against published figures (see bench/RESULTS.md).
// Usage: all (default) | recommender | anomaly | forecast | ship-models [models folder]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var command = args.Length > 0 ? args[0] : "all";
switch (command)
{
    case "ship-models":
        DemoModels.Ship(args.Length > 1 ? args[1] : "models");
        return 0;
    case "recommender":
        RecommenderBench.Run();
        return 0;
    case "anomaly":
        AnomalyBench.Run();
        return 0;
    case "forecast":
        ForecastBench.Run();
        return 0;
    case "all":
        var rmse = RecommenderBench.Run();
        var delta = AnomalyBench.Run();
        var (hourly, weekly) = ForecastBench.Run();
        Console.WriteLine(FormattableString.Invariant(
            $"tabular: ml-100k RMSE = {rmse:F4} (SVD++ 0.919), ODDS mean AUC delta vs IForest = {delta:+0.0000;-0.0000}, M4 OWA hourly = {hourly:F3} weekly = {weekly:F3}"));
        return 0;
    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Use all, recommender, anomaly, forecast or ship-models [folder].");
        return 2;
}
