using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Reports;

/// <summary>A node started a command or finished one of its steps; moves the request to Running.</summary>
/// <param name="CommandId">The message id of the command.</param>
/// <param name="Step">The step just finished; null when the command was just received.</param>
public sealed record CommandProgress(
    string CommandId,
    string CommandType,
    StepRecord? Step,
    DateTimeOffset At) : IMessageBody
{
    public void Validate(FieldCheck check)
    {
        check.Name(CommandId, "commandId", 128);
        check.That(MessageTypes.IsCommand(CommandType), "commandType", $"'{CommandType}' is not a command type");
    }
}
