using System.Globalization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Journal;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.Commands;

/// <summary>
/// Executes one journaled command as its steps and builds the <see cref="CommandResult"/> (with the node's
/// inventory after it). Rejected when a check fails or the command expired before its first step; Failed when a
/// change step failed (the VM was brought back to its power state first).
/// </summary>
public sealed partial class CommandExecutor(HyperVHost host, string cluster, CommandJournal journal, TimeProvider time, ILogger<CommandExecutor> logger)
{
    public const string CheckGpus = "check-gpus";
    public const string SetPartitionCountPrefix = "set-partition-count:";
    public const string ReadInventory = "read-inventory";
    public const string CheckClustered = "check-clustered";

    private readonly VmPartitionSteps _vmSteps = new(host);
    private readonly MoveVmSteps _moveSteps = new(host);

    /// <summary>Runs (or resumes) <paramref name="command"/>; cancellation leaves it unfinished in the journal for the next start.</summary>
    public async Task<CommandResult> ExecuteAsync(JournaledCommand command, Func<StepRecord, CancellationToken, Task> onStepFinished, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var envelope = command.Message.Envelope;
        var run = new CommandRun(command, journal, time, onStepFinished);
        var startedAt = command.Steps.Count > 0 ? command.Steps[0].StartedAt : time.GetUtcNow();
        CommandOutcome outcome;
        CommandError? error = null;
        NodeInventory? inventory = null;
        VmPlacement? placement = null;
        try
        {
            if (!run.IsResume && command.Message.IsExpired(time.GetUtcNow()))
            {
                throw new CommandStepException(CommandErrorCodes.Expired, $"{envelope.MessageType} {envelope.MessageId} expired at {envelope.ExpiresAt:O} before it started; it was not executed.");
            }

            // A command for another cluster is refused like one for another node (issue 16): a node name is only
            // unique within its cluster.
            if (!string.Equals(envelope.Cluster, cluster, StringComparison.OrdinalIgnoreCase))
            {
                throw new CommandStepException(CommandErrorCodes.WrongCluster, $"{envelope.MessageType} {envelope.MessageId} is addressed to cluster {envelope.Cluster}, not {cluster}.");
            }

            if (!string.Equals(envelope.Node, host.Node, StringComparison.OrdinalIgnoreCase))
            {
                throw new CommandStepException(CommandErrorCodes.WrongNode, $"{envelope.MessageType} {envelope.MessageId} is addressed to node {envelope.Node}, not {host.Node}.");
            }

            if (run.IsResume)
            {
                LogResuming(envelope.MessageId, envelope.MessageType, command.Steps.Count);
            }

            (inventory, placement) = await ExecuteStepsAsync(run, command.Message.Body, cancellationToken);
            outcome = CommandOutcome.Succeeded;
        }
        catch (CommandStepException e)
        {
            outcome = e.Kind == StepKind.Check ? CommandOutcome.Rejected : CommandOutcome.Failed;
            error = new CommandError(e.Code, e.Message, e.Step, e.HyperVErrorCode, e.HyperVErrorDescription);
            LogEnded(envelope.MessageId, envelope.MessageType, outcome, e.Code, e.Step, e.Message);
        }
#pragma warning disable CA1031 // A bug in a step must end the command as Failed, never stop the agent's command loop.
        catch (Exception e) when (e is not OperationCanceledException and not JournalException)
#pragma warning restore CA1031
        {
            outcome = CommandOutcome.Failed;
            error = new CommandError(CommandErrorCodes.AgentError, $"{e.GetType().Name}: {e.Message}");
            LogUnexpected(e, envelope.MessageId, envelope.MessageType);
        }

        // A CollectInventory whose read-inventory step ran has just read the inventory: report that one.
        if (inventory is null)
        {
            try
            {
                inventory = await host.Inventory.ReadAsync(cancellationToken);
            }
            catch (CimException e)
            {
                LogInventoryFailed(e, envelope.MessageId, e.Code);
            }
#pragma warning disable CA1031 // The result stands without its inventory; the next poll reports one.
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                LogInventoryFailed(e, envelope.MessageId, CommandErrorCodes.AgentError);
            }
        }

        return new CommandResult(envelope.MessageId, envelope.MessageType, outcome, command.Steps, error, inventory, startedAt, time.GetUtcNow(), placement);
    }

    /// <summary>Runs the command's steps; returns the inventory its read-inventory step read (null when none ran) and a MoveVm's placement.</summary>
    private async Task<(NodeInventory? Inventory, VmPlacement? Placement)> ExecuteStepsAsync(CommandRun run, Contracts.Messaging.IMessageBody body, CancellationToken cancellationToken)
    {
        switch (body)
        {
            case AssignPartition assign:
                await _vmSteps.AssignAsync(run, assign, cancellationToken);
                return (null, null);
            case UnassignPartition unassign:
                await _vmSteps.UnassignAsync(run, unassign, cancellationToken);
                return (null, null);
            case ConfigurePartitionCount configure:
                await ConfigureAsync(run, configure, cancellationToken);
                return (null, null);
            case SetOfflineAction set:
                await SetOfflineActionAsync(run, set, cancellationToken);
                return (null, null);
            case MoveVm move:
                return (null, await _moveSteps.MoveAsync(run, move, cancellationToken));
            case CollectInventory:
                // Stays null when the step is resumed from the journal (the lambda does not run).
                NodeInventory? read = null;
                await run.StepAsync(ReadInventory, StepKind.Check, async ct =>
                {
                    read = await host.Inventory.ReadAsync(ct);
                    return StepResult.Done(string.Create(CultureInfo.InvariantCulture, $"{read.Gpus.Count} GPU(s), {read.Vms.Count} VM(s)"));
                }, cancellationToken);
                return (read, null);
            default:
                throw new CommandStepException(CommandErrorCodes.AgentError, $"{body.GetType().Name} is not a command this agent executes.");
        }
    }

    private async Task ConfigureAsync(CommandRun run, ConfigurePartitionCount command, CancellationToken cancellationToken)
    {
        // Every GPU is checked before any is changed, so a refusal changes nothing.
        var memo = await run.StepAsync(CheckGpus, StepKind.Check, async ct =>
        {
            var inventory = await host.Inventory.ReadAsync(ct);
            var targets = command.GpuInstancePaths.Count > 0
                ? command.GpuInstancePaths.Select(p => inventory.Gpus.FirstOrDefault(g => string.Equals(g.InstancePath, p, StringComparison.OrdinalIgnoreCase))
                    ?? throw new CommandStepException(CommandErrorCodes.UnknownGpu, $"No GPU {p} on node {host.Node}.")).ToList()
                : inventory.Gpus.Where(g => g.ValidPartitionCounts.Count > 0).ToList();
            if (targets.Count == 0)
            {
                throw new CommandStepException(CommandErrorCodes.GpuNotPartitioned, $"Node {host.Node} has no partitionable GPU.");
            }

            foreach (var gpu in targets)
            {
                if (gpu.ValidPartitionCounts.Count == 0)
                {
                    throw new CommandStepException(CommandErrorCodes.GpuNotPartitioned, $"GPU {gpu.Model} {gpu.InstancePath} on node {host.Node} is {gpu.AssignedStatus}: it has no partition counts.");
                }

                if (!gpu.ValidPartitionCounts.Contains(command.PartitionCount))
                {
                    throw new CommandStepException(
                        CommandErrorCodes.InvalidPartitionCount,
                        string.Create(CultureInfo.InvariantCulture, $"GPU partition count {command.PartitionCount} is not one of the valid counts {string.Join(", ", gpu.ValidPartitionCounts)} for {gpu.Model} on {host.Node}."));
                }

                if (gpu.PartitionCount != command.PartitionCount && gpu.Partitions.Count > 0)
                {
                    throw new CommandStepException(
                        CommandErrorCodes.PartitionsAssigned,
                        string.Create(CultureInfo.InvariantCulture, $"Can't change GPU {gpu.Model} {gpu.InstancePath} on {host.Node} from {gpu.PartitionCount} to {command.PartitionCount} partitions: assigned to VM(s) {string.Join(", ", gpu.Partitions.Select(p => p.VmName))}."));
                }
            }

            return StepResult.Done(string.Create(CultureInfo.InvariantCulture, $"{targets.Count} GPU(s) accept {command.PartitionCount} partitions"), string.Join('\n', targets.Select(t => t.InstancePath)));
        }, cancellationToken);

        var paths = memo!.Split('\n');
        for (var i = 0; i < paths.Length; i++)
        {
            var path = paths[i];
            await run.StepAsync(string.Create(CultureInfo.InvariantCulture, $"{SetPartitionCountPrefix}{i}"), StepKind.Change, async ct =>
                await host.Gpus.SetPartitionCountAsync(path, command.PartitionCount, ct)
                    ? StepResult.Done(string.Create(CultureInfo.InvariantCulture, $"GPU {path} set to {command.PartitionCount} partitions"))
                    : StepResult.AlreadyDone(string.Create(CultureInfo.InvariantCulture, $"GPU {path} has {command.PartitionCount} partitions")), cancellationToken);
        }
    }

    private async Task SetOfflineActionAsync(CommandRun run, SetOfflineAction command, CancellationToken cancellationToken)
    {
        var vmId = await _vmSteps.ResolveAsync(run, command.VmName, command.VmId, cancellationToken);

        // Checking is a Check (a VM that is not clustered rejects the command, nothing changed); writing is a Change,
        // so a failed write reports Failed, not Rejected (code review P7).
        await run.StepAsync(CheckClustered, StepKind.Check, async ct =>
            await host.Cluster.IsVmClusteredAsync(vmId, command.VmName, ct)
                ? StepResult.Done($"VM {command.VmName} is a clustered role")
                : throw new CommandStepException(CommandErrorCodes.VmNotClustered, $"VM {command.VmName} ({vmId}) on {host.Node} has no \"Virtual Machine\" cluster resource: it is not clustered."), cancellationToken);
        await run.StepAsync(VmPartitionSteps.EnsureOfflineAction, StepKind.Change, async ct =>
            await host.Cluster.SetOfflineActionAsync(vmId, command.VmName, command.Action, ct)
                ? StepResult.Done($"OfflineAction set to {command.Action}")
                : StepResult.AlreadyDone($"OfflineAction is {command.Action}"), cancellationToken);
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Resuming {CommandId} ({CommandType}) after {Steps} journaled step(s)")]
    private partial void LogResuming(string commandId, string commandType, int steps);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "{CommandId} ({CommandType}) ended {Outcome}: {Code} in step {Step}: {Problem}")]
    private partial void LogEnded(string commandId, string commandType, CommandOutcome outcome, string code, string? step, string problem);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "{CommandId} ({CommandType}) failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string commandId, string commandType);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Reading the inventory after {CommandId} failed with {Code}")]
    private partial void LogInventoryFailed(Exception exception, string commandId, string code);
}
