using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Reports;

/// <summary>What a node did with a command. The envelope's correlation id is the partition request.</summary>
/// <param name="CommandId">The message id of the command.</param>
/// <param name="CommandType">The command's message type.</param>
/// <param name="InventoryAfter">The node's inventory once the command finished, so the control plane needn't wait for a snapshot.</param>
/// <param name="Placement">For MoveVm: where the VM is now and how it got there; null for other commands.</param>
public sealed record CommandResult(
    string CommandId,
    string CommandType,
    CommandOutcome Outcome,
    IReadOnlyList<StepRecord> Steps,
    CommandError? Error,
    NodeInventory? InventoryAfter,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    VmPlacement? Placement = null) : IMessageBody
{
    public void Validate(FieldCheck check)
    {
        check.Name(CommandId, "commandId", 128);
        check.That(MessageTypes.IsCommand(CommandType), "commandType", $"'{CommandType}' is not a command type");
        check.Defined(Outcome, "outcome");
        check.That(Outcome == CommandOutcome.Succeeded || Error is not null, "error", "is required when the outcome is not Succeeded");
        check.That(CompletedAt >= StartedAt, "completedAt", "is before startedAt");
        check.That(Steps.Count <= 100, "steps", "holds more than 100 steps");
        InventoryAfter?.Validate(check);
        Placement?.Validate(check);
    }
}
