namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A snapshot of an emulated GPU for tests and the Sandbox to inspect.</summary>
public sealed record EmulatedGpuState(string Node, string InstancePath, string Model, int PartitionCount, int AssignedPartitions, bool Dda);
