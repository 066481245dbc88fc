using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Functions.Api;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A cluster's inventory as the API shows it (<see cref="InventoryView"/>): what the hosts last reported.</summary>
public sealed class ClusterView(InventoryView view)
{
    public InventoryView View { get; } = view;

    public IReadOnlyList<string> Nodes => [.. View.Nodes.Select(n => n.Node)];

    public IReadOnlyList<ObservedGpu> Gpus => [.. View.Nodes.SelectMany(n => n.Gpus.Select(g => new ObservedGpu(n.Node, g.Model, g.PartitionCount, g.Partitions.Count)))];

    public IReadOnlyList<ObservedVm> Vms => [.. View.Nodes.SelectMany(n => n.Vms.Select(v => new ObservedVm(
        v.Name,
        n.Node,
        Enum.Parse<VmPowerState>(v.PowerState),
        v.Partition is null ? 0 : 1,
        v.OfflineAction is null ? null : Enum.Parse<OfflineAction>(v.OfflineAction))))];

    public ObservedVm? Vm(string name) => Vms.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    public static ClusterView From(JsonNode? body) => new(ApiBodies.Read(body, ApiJsonContext.Default.InventoryView));
}
