using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.HostRunner.Journal;

/// <summary>What the journal knows of one command: the message, the steps finished so far and the result once it ended.</summary>
public sealed class JournaledCommand(Message message, DateTimeOffset receivedAt)
{
    private readonly List<(StepRecord Step, string? Memo)> _steps = [];

    public Message Message { get; } = message;

    public string CommandId => Message.Envelope.MessageId;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>The W3C context the command arrived in (the consumer span), if it came with one.</summary>
    public string? TraceParent { get; internal set; }

    public CommandResult? Result { get; internal set; }

    /// <summary>Whether the broker accepted the result; an unreported result is re-sent at start.</summary>
    public bool Reported { get; internal set; }

    public bool IsFinished => Result is not null;

    public IReadOnlyList<StepRecord> Steps { get { lock (_steps) { return [.. _steps.Select(s => s.Step)]; } } }

    internal IReadOnlyList<(StepRecord Step, string? Memo)> StepsWithMemos { get { lock (_steps) { return [.. _steps]; } } }

    /// <summary>The last finished (not failed) record of the named step and its memo, or null when it has not finished.</summary>
    public (StepRecord Step, string? Memo)? FinishedStep(string name)
    {
        lock (_steps)
        {
            for (var i = _steps.Count - 1; i >= 0; i--)
            {
                if (string.Equals(_steps[i].Step.Name, name, StringComparison.Ordinal) && _steps[i].Step.Outcome != StepOutcome.Failed)
                {
                    return _steps[i];
                }
            }

            return null;
        }
    }

    internal void AddStep(StepRecord step, string? memo)
    {
        lock (_steps)
        {
            _steps.Add((step, memo));
        }
    }
}
