using System.CommandLine;
using System.Text.Json;
using Lattice.Cli.Commands;
using Lattice.ML.Text;

namespace Lattice.Cli.Tests.Commands;

public sealed class TrainCommandTests
{
    [Fact]
    public void Invoke_TrainSpam_WritesLoadableModelAndEvaluation()
    {
        var output = Directory.CreateTempSubdirectory("lattice-train-").FullName;
        try
        {
            var root = new RootCommand { TrainCommand.Create(TimeProvider.System) };
            var console = new StringWriter();

            var exitCode = root.Parse(["train", "spam", "--out", output]).Invoke(new InvocationConfiguration { Output = console });

            Assert.Equal(0, exitCode);
            var sut = TextClassifier.Load(Path.Combine(output, TrainCommand.ModelFileName));
            Assert.Equal("spam", sut.Metadata.Name);
            Assert.True(sut.Metadata.Metrics["test.accuracy"] > 0.97);
            using var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, TrainCommand.EvaluationFileName)));
            Assert.Equal(3900, evaluation.RootElement.GetProperty("test").GetProperty("count").GetInt32());
            Assert.Contains("accuracy", console.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void Invoke_UnknownTask_FailsWithUsageError()
    {
        var root = new RootCommand { TrainCommand.Create(TimeProvider.System) };

        var result = root.Parse(["train", "weather", "--out", Path.GetTempPath()]);

        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Invoke_MissingDataFolder_ReturnsError()
    {
        var console = new StringWriter();

        var exitCode = TrainCommand.Run("spam", new DirectoryInfo("/no/such/datasets"), new DirectoryInfo(Path.GetTempPath()), "1", TimeProvider.System, console);

        Assert.Equal(2, exitCode);
        Assert.Contains("does not exist", console.ToString(), StringComparison.Ordinal);
    }
}
