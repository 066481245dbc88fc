namespace GpuAutomation.HostRunner.Simulation;

public sealed record NodeDescription(string Name, IReadOnlyList<GpuDescription> Gpus, IReadOnlyList<VmDescription> Vms, string OsBuild = "26100");
