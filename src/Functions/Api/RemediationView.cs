namespace GpuAutomation.Functions.Api;

/// <summary>The change that would fix a finding; automatic when the cluster's policy lets scans make it.</summary>
public sealed record RemediationView(string Kind, string Description, bool Automatic, string? Node, string? VmName, Guid? VmId);
