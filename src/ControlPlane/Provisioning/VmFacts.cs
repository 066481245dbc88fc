namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>What a policy can know about a VM when deciding whether a rule selects it.</summary>
/// <param name="AzureTags">The Arc machine resource's tags; null when they weren't read (unknown, not empty).</param>
public sealed record VmFacts(
    string Name,
    string? Notes,
    IReadOnlyDictionary<string, string>? AzureTags);
