namespace GpuAutomation.Functions.Api;

/// <summary>
/// The cluster policy's reserve and whether the last inventory keeps it, counted as admission counts it (all
/// partitions, whatever the model; <c>ClusterReserve</c>) but without the requests in flight, which only admission sees.
/// </summary>
/// <param name="Mode">none, fixed or n+1, as in the policy document.</param>
/// <param name="Partitions">With fixed: how many partitions stay free.</param>
/// <param name="OnBreach">refuse or warn, as in the policy document.</param>
/// <param name="Holds">True when the reserve holds now (always with none).</param>
/// <param name="FreePartitions">Free partitions across the cluster in the last inventory.</param>
/// <param name="Detail">The figures behind <paramref name="Holds"/>, in a sentence.</param>
public sealed record ReserveView(string Mode, int? Partitions, string OnBreach, bool Holds, int FreePartitions, string Detail);
