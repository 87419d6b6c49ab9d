using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lattice.Cli.Platform;
using Lattice.Cli.Supervision;
using Lattice.Shared;
using Spectre.Console;

namespace Lattice.Cli.Commands;

/// <summary><c>lattice status</c>: every replica with pid, port, readiness, restarts and model version.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("status", "Show what lattice up is running.") { config, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            PlatformPlan plan;
            try
            {
                plan = PlatformConfigLoader.Load(parse.GetValue(config)!);
            }
            catch (PlatformConfigException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }

            var statePath = Path.Combine(plan.DataFolder, Supervisor.StateFileName);
            if (!File.Exists(statePath))
            {
                await Console.Error.WriteLineAsync("Lattice is not running here (no state file). Start it with: lattice up");
                return 1;
            }

            if (StateFile.TryRead(statePath, out var problem) is not { } state)
            {
                await Console.Error.WriteLineAsync($"{statePath} cannot be read ({problem}). If lattice up is not running, delete the file; lattice up writes it anew.");
                return 1;
            }

            var running = SupervisorIdentity.IsRunning(state.SupervisorPid, state.SupervisorStartedAt);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var rows = new List<StatusRow>();
            foreach (var replica in state.Replicas)
            {
                var url = new Uri($"http://127.0.0.1:{replica.Port}/");
                var ready = running && await IsReadyAsync(http, url, cancellationToken);
                var version = running && plan.Components.Any(c => c.Name == replica.Component && c.Kind == ComponentKind.Service)
                    ? await ModelVersionAsync(http, url, replica.Component, cancellationToken)
                    : null;
                rows.Add(new StatusRow(replica.Index == 0 ? replica.Component : $"{replica.Component}#{replica.Index}", replica.Pid, replica.Port, ready, replica.Restarts, version));
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { supervisorPid = state.SupervisorPid, running, gateway = state.GatewayUrl, replicas = rows }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                return running ? 0 : 1;
            }

            var console = CommonOptions.Terminal();
            console.MarkupLine(
                $"Supervisor pid {state.SupervisorPid}: {(running ? "[green]running[/]" : "[red]not running[/]")}   gateway {Markup.Escape(state.GatewayUrl)}");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("service", "pid", "port", "ready", "restarts", "model version");
            foreach (var row in rows)
            {
                table.AddRow(
                    row.Service,
                    row.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    row.Port.ToString(CultureInfo.InvariantCulture),
                    row.Ready ? "[green]yes[/]" : "[red]no[/]",
                    row.Restarts.ToString(CultureInfo.InvariantCulture),
                    row.ModelVersion ?? "-");
            }

            console.Write(table);
            return running ? 0 : 1;
        });
        return command;
    }

    private sealed record StatusRow(string Service, int? Pid, int Port, bool Ready, int Restarts, string? ModelVersion);

    private static async Task<bool> IsReadyAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(url, "health/ready"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The model's versions from Open Inference Protocol model metadata (<c>GET /v2/models/{name}</c>).</summary>
    private static async Task<string?> ModelVersionAsync(HttpClient http, Uri url, string model, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(url, $"v2/models/{model}"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return document.RootElement.TryGetProperty("versions", out var versions) && versions.ValueKind == JsonValueKind.Array
                ? string.Join(",", versions.EnumerateArray().Select(v => v.GetString()))
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }
}
