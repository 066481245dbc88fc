namespace GpuAutomation.Functions.Api;

/// <summary>A node a lost node's GPU VMs could restart on, with its free partitions on GPUs of their models.</summary>
public sealed record RestartTargetView(string Node, int FreePartitions);
