using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Reports;

/// <summary>Everything GPU-P related on one node at one moment.</summary>
public sealed record NodeInventory(
    string Node,
    DateTimeOffset TakenAt,
    HostFacts Host,
    IReadOnlyList<GpuInventory> Gpus,
    IReadOnlyList<VmInventory> Vms)
{
    /// <summary>
    /// The agent process that read this inventory: a new id per start (issue 16, item 4). Null from agents that
    /// predate it; the control plane then orders by <see cref="TakenAt"/> alone.
    /// </summary>
    public Guid? AgentStart { get; init; }

    /// <summary>
    /// Increases with every inventory one agent start reads, so the control plane orders a node's snapshots of one
    /// start by it rather than by the host's wall clock, which may be corrected backwards.
    /// </summary>
    public long? Sequence { get; init; }

    public void Validate(FieldCheck check)
    {
        check.That(ResourceNames.IsValidHostName(Node), "node", $"'{Node}' is not a valid node name");
        check.That(Gpus.Count <= 64, "gpus", "lists more than 64 GPUs");
        check.That(Vms.Count <= 1024, "vms", "lists more than 1024 VMs");
        foreach (var gpu in Gpus)
        {
            check.That(gpu.InstancePath.Length is > 0 and <= 512, "gpus.instancePath", "must be 1 to 512 characters");
            check.That(gpu.PartitionCount is >= 0 and <= 64, "gpus.partitionCount", $"{gpu.PartitionCount} is outside 0..64");
            check.That(gpu.ValidPartitionCounts.All(c => c is >= 1 and <= 64), "gpus.validPartitionCounts", "holds a count outside 1..64");
            check.Defined(gpu.AssignedStatus, "gpus.assignedStatus");
            check.That(
                gpu.Driver is null || new[] { gpu.Driver.Version, gpu.Driver.Provider, gpu.Driver.VendorVersion, gpu.Driver.VirtualizationMode, gpu.Driver.HostVgpuMode }.All(v => v is null || v.Length <= 128),
                "gpus.driver",
                "holds a value longer than 128 characters");
        }

        check.That(Host.IovSupportReasons is null || (Host.IovSupportReasons.Count <= 16 && Host.IovSupportReasons.All(r => r.Length <= 1024)), "host.iovSupportReasons", "holds more than 16 reasons or one longer than 1024 characters");
        check.That(Host.GpuPPrerequisiteProblems is null || (Host.GpuPPrerequisiteProblems.Count <= 16 && Host.GpuPPrerequisiteProblems.All(r => r.Length <= 1024)), "host.gpuPPrerequisiteProblems", "holds more than 16 problems or one longer than 1024 characters");
        foreach (var vm in Vms)
        {
            check.That(ResourceNames.IsValidVmName(vm.Name), "vms.name", $"'{vm.Name}' is not a valid VM name");
            check.Defined(vm.PowerState, "vms.powerState");
        }
    }
}
