using System.Diagnostics;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Diagnostics;
using GpuAutomation.HostRunner.Journal;

namespace GpuAutomation.HostRunner.Commands;

/// <summary>
/// Runs the steps of one command, journaling each as it finishes. A step the journal already holds as finished
/// (a resumed command) is not run again: its memo is returned as recorded. Every step checks actual state first,
/// so the one that was running at a crash is simply run again.
/// </summary>
public sealed class CommandRun(JournaledCommand command, CommandJournal journal, TimeProvider time, Func<StepRecord, CancellationToken, Task> onStepFinished)
{
    public JournaledCommand Command { get; } = command;

    /// <summary>Whether the journal held finished steps when this run began.</summary>
    public bool IsResume { get; } = command.Steps.Count > 0;

    /// <summary>Runs <paramref name="action"/> as step <paramref name="name"/> unless the journal has it finished; returns its memo.</summary>
    /// <exception cref="CommandStepException">The step failed (recorded as Failed in the journal first).</exception>
    public async Task<string?> StepAsync(string name, StepKind kind, Func<CancellationToken, Task<StepResult>> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (Command.FinishedStep(name) is { } finished)
        {
            return finished.Memo;
        }

        var started = time.GetUtcNow();
        var family = HostRunnerTelemetry.StepFamily(name);
        using var activity = HostRunnerTelemetry.Source.StartActivity("step " + family);
        activity?.SetTag("gpu.step", name);
        activity?.SetTag("gpu.step.kind", kind == StepKind.Check ? "check" : "change");
        activity?.SetTag(HostRunnerTelemetry.CommandIdAttribute, Command.CommandId);
        var startedTicks = Stopwatch.GetTimestamp();
        StepResult result;
        try
        {
            result = await action(cancellationToken);
        }
        catch (CimException e)
        {
            var failure = new CommandStepException(
                CimFailureCodes.FromCim(e.Code),
                e.Message,
                name,
                kind,
                e.NativeCode,
                e.Code is CimErrors.JobFailed or CimErrors.MethodFailed or CimErrors.InvalidState or CimErrors.AccessDenied ? e.Message : null,
                e);
            Ended(activity, family, kind, StepOutcome.Failed, startedTicks, failure.Code);
            await RecordFailureAsync(name, started, failure, cancellationToken);
            throw failure;
        }
        catch (CommandStepException e)
        {
            var failure = e.InStep(name, kind);
            Ended(activity, family, kind, StepOutcome.Failed, startedTicks, failure.Code);
            await RecordFailureAsync(name, started, failure, cancellationToken);
            throw failure;
        }

        Ended(activity, family, kind, result.Outcome, startedTicks, null);
        var step = new StepRecord(name, result.Outcome, started, time.GetUtcNow(), result.Detail);
        journal.RecordStep(Command, step, result.Memo);
        await onStepFinished(step, cancellationToken);
        return result.Memo;
    }

    private static void Ended(Activity? activity, string family, StepKind kind, StepOutcome outcome, long startedTicks, string? errorCode)
    {
        var outcomeName = outcome.ToString();
        activity?.SetTag("gpu.step.outcome", outcomeName);
        if (errorCode is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, errorCode);
            activity?.SetTag("error.type", errorCode);
        }

        HostRunnerTelemetry.StepDuration.Record(
            Stopwatch.GetElapsedTime(startedTicks).TotalSeconds,
            new TagList { { "gpu.step", family }, { "gpu.step.kind", kind == StepKind.Check ? "check" : "change" }, { "gpu.step.outcome", outcomeName } });
    }

    private async Task RecordFailureAsync(string name, DateTimeOffset started, CommandStepException failure, CancellationToken cancellationToken)
    {
        var step = new StepRecord(name, StepOutcome.Failed, started, time.GetUtcNow(), $"{failure.Code}: {failure.Message}");
        journal.RecordStep(Command, step, null);
        await onStepFinished(step, cancellationToken);
    }
}
