using Spectre.Console;

namespace GpuAutomation.Sandbox.Presentation;

/// <summary>What a user can try against the running Sandbox (the development identity makes every call pass auth).</summary>
public static class CurlExamples
{
    public static IReadOnlyList<(string What, string Command)> For(Uri baseAddress, string cluster, string node, string vm)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var api = baseAddress.ToString().TrimEnd('/');
        const string json = "-H 'Content-Type: application/json'";
        return
        [
            ("Health", $"curl -s {api}/api/health"),
            ("Clusters", $"curl -s {api}/api/clusters"),
            ("Inventory", $"curl -s {api}/api/clusters/{cluster}/inventory"),
            ("Set partition count 4", $"curl -s -X PUT {api}/api/clusters/{cluster}/partition-count {json} -d '{{\"partitionCount\":4}}'"),
            ("Assign a partition", $"curl -s -X POST {api}/api/partition-requests {json} -d '{{\"cluster\":\"{cluster}\",\"vm\":\"{vm}\",\"action\":\"assign\"}}'"),
            ("Follow a request", $"curl -s {api}/api/partition-requests/<id from the answer>"),
            ("Request history", $"curl -s '{api}/api/partition-requests?cluster={cluster}'"),
            ("Unassign", $"curl -s -X POST {api}/api/partition-requests {json} -d '{{\"cluster\":\"{cluster}\",\"vm\":\"{vm}\",\"action\":\"unassign\",\"node\":\"{node}\"}}'"),
            ("Provisioning policy", $"curl -s -X PUT {api}/api/clusters/{cluster}/policy {json} -d '{{\"rules\":[{{\"name\":\"vdi\",\"namePattern\":\"vdi-*\",\"startAfter\":true}}]}}'"),
            ("Compliance scan", $"curl -s -X POST {api}/api/clusters/{cluster}/compliance/scan"),
            ("Compliance history", $"curl -s {api}/api/clusters/{cluster}/compliance"),
            ("OpenAPI document", $"curl -s {api}/api/openapi/v1.json"),
        ];
    }

    public static void Show(IAnsiConsole console, Uri baseAddress, string cluster, string node, string vm)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.MarkupLine($"[bold]Control plane[/] at [link]{Markup.Escape(baseAddress.ToString())}[/], cluster [bold]{Markup.Escape(cluster)}[/]. Try:");
        foreach (var (what, command) in For(baseAddress, cluster, node, vm))
        {
            console.MarkupLine($"  [grey]# {Markup.Escape(what)}[/]");
            // Written past Spectre's line wrapping: a wrapped command no longer pastes into a shell.
            console.Profile.Out.Writer.WriteLine($"  {command}");
        }

        console.MarkupLine("[grey]Ctrl+C stops the control plane and the simulated hosts.[/]");
    }
}
