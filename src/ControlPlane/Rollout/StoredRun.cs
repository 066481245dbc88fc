namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>A run with the ETag it was read with; pass it back to change it.</summary>
public sealed record StoredRun(RolloutRun Run, string ETag);
