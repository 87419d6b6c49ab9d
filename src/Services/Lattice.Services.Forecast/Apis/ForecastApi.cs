using Lattice.Contracts;
using Lattice.Contracts.Forecasting;
using Lattice.Hosting.Typed;
using Lattice.Services.Forecast.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using static Lattice.Services.Forecast.Extensions.ForecastServiceExtensions;

namespace Lattice.Services.Forecast.Apis;

/// <summary><c>POST /v1/forecasts</c>: the point forecast, prediction intervals and the method, plus the Open Inference Protocol contract.</summary>
public static class ForecastApi
{
    public static IEndpointRouteBuilder MapForecastApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Resolved once: handlers that asked DI per request would create a service scope each time.
        var model = endpoints.ServiceProvider.GetTypedModel<ForecasterVersion>(ModelName);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<ForecastServiceOptions>>().Value;
        endpoints.MapGroup("/v1").WithTags(ModelName)
            .MapPost("/forecasts", (HttpContext context, CancellationToken cancellationToken) => ForecastAsync(model, options, context, cancellationToken))
            .Accepts<ForecastRequest>("application/json")
            .ProducesModelProblems()
            .WithName("Forecast")
            .WithSummary("Forecast a series: point forecast, prediction intervals and the method that produced them (fitted per request)");
        endpoints.MapTensorInference(model, new ForecastTensorContract(options));
        return endpoints;
    }

    internal static async Task<Results<Ok<ForecastResponse>, ProblemHttpResult>> ForecastAsync(
        TypedModel<ForecasterVersion> model, ForecastServiceOptions options, HttpContext context, CancellationToken cancellationToken)
    {
        var body = await model.ReadJsonAsync(context, TabularContractsJsonContext.Default.ForecastRequest, cancellationToken);
        if (body.Failed)
        {
            return body.Problem;
        }

        var request = body.Value;
        double[] series = [.. request.Series];
        if (ForecastOperations.Build([series], request.Horizon, request.Levels, request.Frequency, request.Method, options, out var job) is { } refusal)
        {
            return model.Refuse(refusal);
        }

        var call = await model.InvokeAsync(context, job, ForecastOperations.Forecast, 1, cancellationToken);
        if (!call.IsOk)
        {
            return call.ToProblem();
        }

        var result = call.Value[0];
        var intervals = new ForecastInterval[result.Intervals.Count];
        for (var i = 0; i < intervals.Length; i++)
        {
            var interval = result.Intervals[i];
            intervals[i] = new ForecastInterval(interval.Level, interval.Lower, interval.Upper);
        }

        return TypedResults.Ok(new ForecastResponse
        {
            Forecast = result.Point,
            Intervals = intervals,
            Method = result.Method,
            Frequency = ForecastNames.Name(job.Frequency),
            Horizon = job.Horizon,
            Model = model.Name,
            Version = call.Version,
            Id = context.ResolveRequestId(request.Id),
        });
    }
}
