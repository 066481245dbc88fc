namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>GET /api/clusters/{cluster}/nodes</c>.</summary>
public sealed record NodeRegistrationListView(IReadOnlyList<NodeRegistrationView> Nodes);
