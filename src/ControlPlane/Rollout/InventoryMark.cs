using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Which snapshot of a node a plan was made from, and a fingerprint of what the plan depends on in it: each GPU's
/// count, status and holders, and each VM holding a partition with its power state. Agents send snapshots on a timer,
/// so a newer snapshot alone doesn't outdate a plan; a different fingerprint does (re-plan).
/// </summary>
public sealed record InventoryMark(string Node, DateTimeOffset TakenAt, Guid? AgentStart, long? Sequence, string Fingerprint)
{
    public static InventoryMark Of(NodeInventory node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new InventoryMark(node.Node, node.TakenAt, node.AgentStart, node.Sequence, FingerprintOf(node));
    }

    public static string FingerprintOf(NodeInventory node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var text = new StringBuilder();
        foreach (var gpu in node.Gpus.OrderBy(g => g.InstancePath, StringComparer.OrdinalIgnoreCase))
        {
            text.Append(CultureInfo.InvariantCulture, $"gpu|{gpu.InstancePath.ToUpperInvariant()}|{gpu.Model}|{gpu.AssignedStatus}|{gpu.PartitionCount}|{gpu.PnpErrorCode}|{string.Join(',', gpu.Partitions.Select(p => p.VmId).Order())}\n");
        }

        foreach (var vm in node.Vms.Where(v => v.HasPartition).OrderBy(v => v.Id))
        {
            text.Append(CultureInfo.InvariantCulture, $"vm|{vm.Id}|{vm.PowerState == VmPowerState.Running}|{vm.IsClustered}\n");
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }
}
