namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>How a cluster falls short of its policy's reserve as things stand.</summary>
/// <param name="Message">The figures: what is free, what the policy keeps back and, for n+1, which node's loss needs how many.</param>
/// <param name="Node">For n+1, the node whose loss would strand the most GPU VMs; null for a fixed reserve.</param>
public sealed record ReserveBreach(string Message, string? Node);
