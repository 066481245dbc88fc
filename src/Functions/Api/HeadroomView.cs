namespace GpuAutomation.Functions.Api;

/// <summary>
/// Body of <c>GET /api/clusters/{cluster}/headroom</c>: whether the loss of any one node would leave its clustered GPU
/// VMs without a partition elsewhere, per node, from the last inventory (requests in flight not subtracted), and the
/// cluster policy's reserve.
/// </summary>
/// <param name="SurvivesAnyNodeLoss">True when every node's GPU VMs could restart on the others (N+1).</param>
/// <param name="WorstNode">The node whose loss hurts most; null without nodes.</param>
/// <param name="Reserve">The policy's reserve and whether it holds.</param>
public sealed record HeadroomView(string Cluster, bool SurvivesAnyNodeLoss, string? WorstNode, IReadOnlyList<NodeLossView> Nodes, ReserveView Reserve);
