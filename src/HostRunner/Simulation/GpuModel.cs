namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A GPU model the emulator knows: PCI ids, memory and the vendor's valid partition counts.</summary>
public sealed record GpuModel(string Name, string Vendor, string PciIds, int MemoryGiB, IReadOnlyList<int> ValidPartitionCounts);
