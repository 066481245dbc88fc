namespace GpuAutomation.Functions.Api;

/// <summary>What losing <paramref name="Node"/> would do: its GPU VMs, the free partitions left for them, how many would not fit.</summary>
/// <param name="GpuVms">The node's clustered VMs holding a partition: the ones failover would restart elsewhere.</param>
/// <param name="Short">How many of them would find no partition; which ones is the cluster's choice (VM priority), so none is named as the loser.</param>
/// <param name="RestartTargets">
/// The other nodes with free partitions those VMs could take (healthy GPUs of the models they use), most free first;
/// empty when there is nowhere to go. Where exactly each VM restarts is the cluster's choice.
/// </param>
public sealed record NodeLossView(string Node, IReadOnlyList<string> GpuVms, int FreeElsewhere, int Short, IReadOnlyList<RestartTargetView> RestartTargets);
