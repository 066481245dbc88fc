namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>A ledger with the ETag it was read with; null ETag: not stored yet (derived from inventory).</summary>
public sealed record StoredLedger(NodeLedger Ledger, string? ETag);
