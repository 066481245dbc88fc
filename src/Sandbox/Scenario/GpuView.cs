namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A GPU in the inventory: its configured count and how many partitions VMs hold.</summary>
public sealed record GpuView(string Node, string Model, int PartitionCount, int AssignedPartitions);
