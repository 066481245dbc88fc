using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Reports;

/// <summary>A node's full inventory, sent on start, on change, on schedule and on request.</summary>
public sealed record InventorySnapshot(NodeInventory Inventory) : IMessageBody
{
    public void Validate(FieldCheck check) => Inventory.Validate(check);
}
