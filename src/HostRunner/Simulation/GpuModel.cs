namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A GPU model the emulator knows: PCI ids, memory and the vendor's valid partition counts.</summary>
/// <param name="Verified">False when no public source gives the model's counts: the values are the emulator's guess.</param>
public sealed record GpuModel(string Name, string Vendor, string PciIds, int MemoryGiB, IReadOnlyList<int> ValidPartitionCounts, bool Verified = true);
