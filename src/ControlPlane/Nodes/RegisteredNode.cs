namespace GpuAutomation.ControlPlane.Nodes;

/// <summary>
/// A node the deployment or an operator registered: only registered nodes' reports count (issue 16, item 2).
/// </summary>
/// <param name="PrincipalId">The object id of the node's managed identity (Arc machine), null until known.</param>
/// <param name="Source">Where the registration comes from: <see cref="FromConfiguration"/> or <see cref="FromOperator"/>.</param>
/// <param name="ClockSkew">How far ahead of the control plane's clock the node's last refused report was, when it was refused for that.</param>
public sealed record RegisteredNode(
    string Cluster,
    string Node,
    string? PrincipalId,
    string Source,
    DateTimeOffset? RegisteredAt,
    TimeSpan? ClockSkew = null,
    DateTimeOffset? ClockSkewSeenAt = null)
{
    public const string FromConfiguration = "configuration";
    public const string FromOperator = "operator";
}
