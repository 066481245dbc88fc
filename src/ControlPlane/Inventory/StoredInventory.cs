using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Inventory;

/// <summary>A node's stored snapshot with the ETag it was read with.</summary>
public sealed record StoredInventory(string Cluster, NodeInventory Inventory, string ETag);
