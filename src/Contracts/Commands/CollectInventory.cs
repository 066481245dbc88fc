using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Commands;

/// <summary>Ask a node for a fresh <see cref="Reports.InventorySnapshot"/>.</summary>
public sealed record CollectInventory : ICommand
{
    public void Validate(FieldCheck check)
    {
    }
}
