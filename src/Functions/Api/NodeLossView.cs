namespace GpuAutomation.Functions.Api;

/// <summary>What losing <paramref name="Node"/> would do: its GPU VMs, the free partitions left for them, how many would not fit.</summary>
public sealed record NodeLossView(string Node, IReadOnlyList<string> GpuVms, int FreeElsewhere, int Short);
