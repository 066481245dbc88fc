using GpuAutomation.Sandbox;
using GpuAutomation.Sandbox.Composition;
using GpuAutomation.Sandbox.Presentation;
using GpuAutomation.Sandbox.Scenario;
using Spectre.Console;

var options = SandboxOptions.Parse(args, out var problem);
if (args.Contains("--help", StringComparer.OrdinalIgnoreCase))
{
    Console.WriteLine(SandboxOptions.Usage);
    return 0;
}

if (options is null)
{
    await Console.Error.WriteLineAsync(problem);
    await Console.Error.WriteLineAsync(SandboxOptions.Usage);
    return 2;
}

using var loggers = LoggerFactory.Create(logging => logging
    .AddSimpleConsole(console => console.SingleLine = true)
    .SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning));

SandboxSystem sandbox;
try
{
    sandbox = await SandboxSystem.StartAsync(options, loggers, CancellationToken.None);
}
catch (Exception e) when (e is IOException or InvalidOperationException or System.Text.Json.JsonException)
{
    // A taken port surfaces as an IOException from Kestrel; a bad description as a JSON or emulator error.
    await Console.Error.WriteLineAsync($"The Sandbox could not start: {e.Message}");
    return 2;
}

await using (sandbox)
{
    // Ctrl+C and SIGTERM stop the web host (its console lifetime); everything else follows that token.
    var stopping = sandbox.Stopping;
    var console = AnsiConsole.Console;
    var node = sandbox.Cluster.Nodes[0];
    // The portal first: it is where a person starts (the development identity holds both roles).
    var portal = new Uri(sandbox.BaseAddress, GpuAutomation.Functions.Portal.PortalEndpoints.BasePath.TrimStart('/') + "/");
    console.MarkupLine($"[bold]Operator portal[/]: [link]{Markup.Escape(portal.ToString())}[/]");
    if (!options.Scenario)
    {
        CurlExamples.Show(console, sandbox.BaseAddress, sandbox.ClusterName, node, sandbox.Cluster.Vms(node)[0].Name);
        try
        {
            await Task.Delay(Timeout.Infinite, stopping);
        }
        catch (OperationCanceledException)
        {
            console.MarkupLine("[grey]Stopping…[/]");
        }

        return 0;
    }

    using var http = new HttpClient { BaseAddress = sandbox.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    var client = new ControlPlaneClient(http);
    var screen = new ScenarioConsole(console);
    console.MarkupLine($"[bold]GPU partition automation Sandbox[/]: control plane at {Markup.Escape(sandbox.BaseAddress.ToString())}, cluster [bold]{Markup.Escape(sandbox.ClusterName)}[/] ({string.Join(", ", sandbox.Cluster.Nodes)}).");
    ScenarioReport report;
    try
    {
        report = await screen.PlayAsync(progress => new ScenarioRunner(client, sandbox.Cluster, sandbox.ClusterName, progress, TimeProvider.System).RunAsync(stopping));
    }
    catch (OperationCanceledException)
    {
        console.MarkupLine("[yellow]Scenario interrupted.[/]");
        return 130;
    }

    screen.ShowReport(report);
    return report.Passed ? 0 : 1;
}
