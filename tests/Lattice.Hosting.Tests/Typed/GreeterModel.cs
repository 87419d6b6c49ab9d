using System.Text.Json;
using System.Text.Json.Serialization;
using Lattice.Contracts.Inference;
using Lattice.Hosting.Models;
using Lattice.Hosting.Tests.Support;
using Lattice.Hosting.Typed;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lattice.Hosting.Tests.Typed;

/// <summary>
/// A tiny typed model: greets names with its version's greeting (from <c>greeter.txt</c>), so an answer shows which
/// version computed it. The name "block" waits at the gate; the name "explode" throws; the tensor contract cannot write
/// the length of the name "unwritable" (it writes NaN, which JSON has no number for).
/// </summary>
internal sealed class Greeter(string greeting, Gate? gate)
{
    public const string ExplodingName = "explode";

    public const string UnwritableName = "unwritable";

    public string Greet(string name) => Greet(name, CancellationToken.None);

    public string Greet(string name, CancellationToken cancellationToken)
    {
        if (gate is not null && name == Gate.BlockingText)
        {
            gate.Enter();
        }

        if (gate is not null && name == Gate.HangUpText)
        {
            gate.HoldUntilCancelled(cancellationToken);
        }

        return name == ExplodingName ? throw new InvalidOperationException("This greeter fails on purpose.") : $"{greeting}, {name}";
    }

    public static string Write(string root, string version, string greeting)
    {
        var directory = Path.Combine(root, GreeterApi.ModelName, version);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, GreeterLoader.FileName), greeting);
        return directory;
    }
}

internal sealed class GreeterLoader(Gate? gate = null) : IModelLoader
{
    public const string FileName = "greeter.txt";

    public IModelAdapter Load(ModelVersionSource source, CancellationToken cancellationToken) =>
        new GreeterAdapter(new Greeter(File.ReadAllText(Path.Combine(source.Directory, FileName)).Trim(), gate));

    private sealed class GreeterAdapter(Greeter greeter) : TypedModelAdapter<Greeter>(greeter, "lattice_greeter-test", "greeting")
    {
        protected override float Probe() => Model.Greet("warm-up").Length;
    }
}

internal sealed record GreetRequest([property: JsonPropertyName("name")] string? Name = null, [property: JsonPropertyName("names")] IReadOnlyList<string>? Names = null);

internal sealed record GreetResponse(
    [property: JsonPropertyName("greetings")] IReadOnlyList<string> Greetings,
    [property: JsonPropertyName("version")] string Version);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(GreetRequest))]
[JsonSerializable(typeof(GreetResponse))]
internal sealed partial class GreeterJson : JsonSerializerContext;

/// <summary><c>POST /v1/greet</c> and the greeter's tensor contract: <c>name</c> BYTES [n] in, <c>greeting</c> BYTES [n] and <c>length</c> INT32 [n] out.</summary>
internal static class GreeterApi
{
    public const string ModelName = "greeter";

    public static ModelOperation<Greeter, IReadOnlyList<string>, string[]> Greet { get; } = new(
        static (greeter, names, cancellationToken) => [.. names.Select(name => greeter.Greet(name, cancellationToken))],
        static (names, greetings, log) =>
        {
            for (var i = 0; i < greetings.Length; i++)
            {
                log.Add(names[i], greetings[i], greetings[i].Length);
            }
        });

    public static void Map(WebApplication app)
    {
        var model = app.Services.GetTypedModel<Greeter>(ModelName);
        app.MapPost("/v1/greet", async Task<Results<Ok<GreetResponse>, ProblemHttpResult>> (HttpContext context, CancellationToken cancellationToken) =>
        {
            var body = await model.ReadJsonAsync(context, GreeterJson.Default.GreetRequest, cancellationToken);
            if (body.Failed)
            {
                return body.Problem;
            }

            var names = body.Value.Names ?? (body.Value.Name is { } name ? [name] : []);
            if (names.Count == 0 || names.Any(string.IsNullOrEmpty))
            {
                return model.Refuse(RequestRefusal.Invalid("Give 'name' or 'names', each non-empty."));
            }

            var call = await model.InvokeAsync(context, names, Greet, names.Count, cancellationToken);
            return call.IsOk ? TypedResults.Ok(new GreetResponse(call.Value, call.Version)) : call.ToProblem();
        }).ProducesModelProblems();
        app.MapTensorInference(model, new GreeterContract());
    }

    private sealed class GreeterContract : TensorContract<Greeter, IReadOnlyList<string>, string[]>
    {
        public override IReadOnlyList<MetadataTensor> Inputs { get; } = [new("name", InferenceDatatypes.Bytes, [-1])];

        public override IReadOnlyList<MetadataTensor> Outputs { get; } =
            [new("greeting", InferenceDatatypes.Bytes, [-1]), new("length", InferenceDatatypes.Int32, [-1])];

        public override ModelOperation<Greeter, IReadOnlyList<string>, string[]> Operation => Greet;

        public override int CountItems(IReadOnlyList<string> request) => request.Count;

        public override TensorBinding<IReadOnlyList<string>> Bind(TensorInputs inputs)
        {
            if (inputs.CheckNames("name") is { } unknown)
            {
                return TensorBinding<IReadOnlyList<string>>.Refused(unknown);
            }

            if (inputs.Find("name") is not { } input)
            {
                return TensorBinding<IReadOnlyList<string>>.Refused(RequestRefusal.Invalid("Input 'name' is required."));
            }

            return inputs.ReadStrings(input, out var names) is { } refusal
                ? TensorBinding<IReadOnlyList<string>>.Refused(refusal)
                : TensorBinding<IReadOnlyList<string>>.Bound(names);
        }

        public override void WriteOutput(Utf8JsonWriter writer, string name, IReadOnlyList<string> request, string[] result)
        {
            if (name == "greeting")
            {
                TensorJson.StartData(writer, InferenceDatatypes.Bytes, result.Length);
                foreach (var greeting in result)
                {
                    writer.WriteStringValue(greeting);
                }
            }
            else
            {
                TensorJson.StartData(writer, InferenceDatatypes.Int32, result.Length);
                foreach (var greeting in result)
                {
                    if (greeting.EndsWith(Greeter.UnwritableName, StringComparison.Ordinal))
                    {
                        writer.WriteNumberValue(double.NaN);
                    }
                    else
                    {
                        writer.WriteNumberValue(greeting.Length);
                    }
                }
            }

            TensorJson.EndData(writer);
        }
    }
}
