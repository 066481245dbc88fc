namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A GPU as the scenario sees it in the inventory: its configured count and how many partitions VMs hold.</summary>
public sealed record ObservedGpu(string Node, string Model, int PartitionCount, int AssignedPartitions);
