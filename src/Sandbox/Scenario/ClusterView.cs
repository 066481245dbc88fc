using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A cluster's inventory as the API shows it: what the hosts last reported.</summary>
public sealed class ClusterView(JsonObject body)
{
    public IReadOnlyList<string> Nodes => [.. NodeObjects.Select(n => Json.Text(n, "node") ?? "?")];

    public IReadOnlyList<GpuView> Gpus => [.. NodeObjects.SelectMany(n => Json.Objects(n, "gpus").Select(g => new GpuView(
        Json.Text(n, "node") ?? "?",
        Json.Text(g, "model") ?? "?",
        Json.Number(g, "partitionCount") ?? 0,
        Json.Objects(g, "partitions").Count())))];

    public IReadOnlyList<VmView> Vms => [.. NodeObjects.SelectMany(n => Json.Objects(n, "vms").Select(v => new VmView(
        Json.Text(v, "name") ?? "?",
        Json.Text(n, "node") ?? "?",
        Json.Enum<VmPowerState>(v, "powerState"),
        Json.Get(v, "partition") is System.Text.Json.Nodes.JsonObject ? 1 : Json.Objects(v, "partitionAdapters").Count(),
        Json.Enum<OfflineAction>(v, "offlineAction"))))];

    public VmView? Vm(string name) => Vms.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    private IEnumerable<JsonObject> NodeObjects => Json.Objects(body, "nodes");
}
