namespace GpuAutomation.Functions.Api;

/// <summary>One node's reason in a refused cluster-wide change (the <c>nodes</c> member of the problem).</summary>
public sealed record NodeRefusalView(string Node, string Code, string Message);
