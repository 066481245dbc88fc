namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>A VM holding a partition, with the model of its GPU (empty when the host didn't say).</summary>
public sealed record GpuVm(string Name, string Model);
