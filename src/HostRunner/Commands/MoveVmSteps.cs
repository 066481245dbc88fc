using System.Globalization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Platform;

namespace GpuAutomation.HostRunner.Commands;

/// <summary>
/// MoveVm as reconcile steps: find the VM's cluster group (cluster-wide, so a redelivered or resumed command whose VM
/// already reached the target moves nothing), check the target node is up, choose quick / live / stop-move-start,
/// stop the VM if that was chosen, move the group, and bring the VM back to the power state it had — on the target,
/// through the cluster, since after the move it is no longer on this node. A failure once the VM was stopped starts it
/// again wherever its group is.
/// </summary>
internal sealed class MoveVmSteps(HyperVHost host)
{
    public const string ResolveVmGroup = "resolve-vm-group";
    public const string CheckTargetNode = "check-target-node";
    public const string ChooseMoveMethod = "choose-move-method";
    public const string MoveClusterGroup = "move-cluster-group";
    public const string MoveClusterGroupStopped = "move-cluster-group-stopped";

    private const string OnTarget = "on-target";

    public async Task<VmPlacement> MoveAsync(CommandRun run, MoveVm command, CancellationToken cancellationToken)
    {
        var target = command.TargetNode;
        var resolved = (await run.StepAsync(ResolveVmGroup, StepKind.Check, async ct =>
        {
            var resource = await host.Cluster.FindVmResourceAsync(command.VmId, command.VmName, ct)
                ?? throw new CommandStepException(CommandErrorCodes.VmNotClustered, $"VM {command.VmName} ({command.VmId}) has no \"Virtual Machine\" cluster resource: only a clustered VM can move between nodes.");
            var owner = resource.OwnerNode ?? string.Empty;
            if (Same(owner, target))
            {
                return StepResult.AlreadyDone($"VM {command.VmName} is on {target} already (cluster group {resource.OwnerGroup})", Memo(resource.OwnerGroup, owner, OnTarget));
            }

            if (!Same(owner, host.Node))
            {
                throw new CommandStepException(CommandErrorCodes.VmNotOnNode, $"VM {command.VmName} ({command.VmId}) is on {(owner.Length == 0 ? "no node" : owner)}, not on {host.Node}: send the MoveVm to the node that owns its cluster group.");
            }

            var vm = await host.Vms.GetAsync(command.VmId, ct);
            return StepResult.Done($"VM {vm.Name} is {vm.PowerState} on {host.Node} in cluster group {resource.OwnerGroup}", Memo(resource.OwnerGroup, host.Node, vm.PowerState.ToString()));
        }, cancellationToken))!.Split('\n');
        var (groupName, source, stateText) = (resolved[0], resolved[1], resolved[2]);
        if (stateText == OnTarget)
        {
            return await PlacementAsync(command, source, MoveMethod.AlreadyThere, $"the VM was on {target} already: nothing moved", cancellationToken);
        }

        await run.StepAsync(CheckTargetNode, StepKind.Check, async ct =>
        {
            var state = await host.Groups.NodeStateAsync(target, ct)
                ?? throw new CommandStepException(CommandErrorCodes.UnknownNode, $"The cluster has no node {target}.");
            return state == ClusterNodeState.Up
                ? StepResult.Done($"node {target} is Up")
                : throw new CommandStepException(CommandErrorCodes.TargetNodeUnavailable, $"Node {target} is {state}: a group moves only to a node that is Up.");
        }, cancellationToken);

        var before = Enum.Parse<VmPowerState>(stateText);
        var chosen = (await run.StepAsync(ChooseMoveMethod, StepKind.Check, ct => ChooseAsync(command, before, ct), cancellationToken))!.Split('\n', 2);
        var method = Enum.Parse<MoveMethod>(chosen[0]);
        var reason = chosen[1];
        var wasRunning = before == VmPowerState.Running;

        // A resumed live move that had already fallen back to stop-move-start (the VM was stopped for it) goes on that way.
        if (method == MoveMethod.Live && run.Command.FinishedStep(VmPartitionSteps.EnsureVmOff) is { } stopped)
        {
            (method, reason) = (MoveMethod.StopMoveStart, stopped.Memo ?? reason);
        }

        try
        {
            if (method == MoveMethod.StopMoveStart)
            {
                await EnsureOffAsync(run, command, reason, cancellationToken);
            }

            try
            {
                await run.StepAsync(MoveClusterGroup, StepKind.Change, ct => MoveGroupAsync(groupName, source, target, method, ct), cancellationToken);
            }
            catch (CommandStepException e) when (method == MoveMethod.Live && e.Code == CommandErrorCodes.LiveMigrationUnsupported
                && command.WhenLiveImpossible == LiveMigrationFallback.StopMoveStart)
            {
                // The cluster refused the live migration — the target's prerequisites are not readable from here — and
                // the command allows a restart: shut down, move, start.
                (method, reason) = (MoveMethod.StopMoveStart, $"the cluster refused live migration ({e.Message}): shut down, moved, started");
                await EnsureOffAsync(run, command, reason, cancellationToken);
                await run.StepAsync(MoveClusterGroupStopped, StepKind.Change, ct => MoveGroupAsync(groupName, source, target, method, ct), cancellationToken);
            }
        }
        catch (CommandStepException) when (method == MoveMethod.StopMoveStart && wasRunning)
        {
            await run.StepAsync(VmPartitionSteps.RestorePowerState, StepKind.Change, async ct =>
                await StartWhereItIsAsync(groupName, ct)
                    ? StepResult.Done("VM started again where its cluster group is, as it was running before")
                    : StepResult.AlreadyDone("VM is running"), cancellationToken);
            throw;
        }

        await run.StepAsync(VmPartitionSteps.EnsurePowerAfter, StepKind.Change, async ct =>
        {
            if (!wasRunning)
            {
                return StepResult.AlreadyDone($"VM stays {before}");
            }

            if (method == MoveMethod.StopMoveStart && command.PowerAfter == PowerAfterChange.LeaveOff)
            {
                return StepResult.AlreadyDone($"VM left off on {target}, as the command asked (it was running before the move)");
            }

            return await StartWhereItIsAsync(groupName, ct)
                ? StepResult.Done($"VM started on {target} (cluster group brought online), as it was running before")
                : StepResult.AlreadyDone($"VM is running on {target}");
        }, cancellationToken);

        return await PlacementAsync(command, source, method, reason, cancellationToken);
    }

    /// <summary>Shuts the VM down for stop-move-start; the memo keeps why, for a resume.</summary>
    private Task EnsureOffAsync(CommandRun run, MoveVm command, string reason, CancellationToken cancellationToken)
        => run.StepAsync(VmPartitionSteps.EnsureVmOff, StepKind.Change, async ct =>
        {
            var outcome = await host.Power.ShutdownAsync(command.VmId, ct);
            return outcome == ShutdownOutcome.AlreadyOff ? StepResult.AlreadyDone("VM is Off", reason) : StepResult.Done(outcome.ToString(), reason);
        }, cancellationToken);

    private async Task<StepResult> ChooseAsync(MoveVm command, VmPowerState before, CancellationToken cancellationToken)
    {
        switch (before)
        {
            case VmPowerState.Off or VmPowerState.Saved:
                return Chosen(MoveMethod.Quick, command.Mode == MoveMode.Live
                    ? $"live migration asked, but the VM is {before}: its cluster group moves (quick)"
                    : $"the VM is {before}: its cluster group moves (quick)");
            case VmPowerState.Running when command.Mode == MoveMode.Quick:
                return command.WhenLiveImpossible == LiveMigrationFallback.StopMoveStart
                    ? Chosen(MoveMethod.StopMoveStart, "a quick move was asked for a running VM: shut down, move, start")
                    : throw new CommandStepException(CommandErrorCodes.VmRunning, $"VM {command.VmName} is Running: a quick move needs it off; ask for a live move, or for stop-move-start when live migration is impossible.");
            case VmPowerState.Running:
                var adapters = await host.Adapters.ListAsync(command.VmId, cancellationToken);
                if (adapters.Count == 0)
                {
                    return Chosen(MoveMethod.Live, "the VM has no GPU partition: live migration");
                }

                var inventory = await host.Inventory.ReadAsync(cancellationToken);
                var onGpus = adapters.Select(a => a.Device?.GpuInstancePath).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
                var gpus = inventory.Gpus.Where(g => onGpus.Count == 0 ? g.AssignedStatus == GpuAssignedStatus.Partitioned : onGpus.Contains(g.InstancePath)).ToList();
                var os = await host.OperatingSystem.ReadAsync(cancellationToken);
                var problems = LiveMigrationPrerequisites.Problems(host.Node, os, gpus);
                if (problems.Count == 0)
                {
                    return Chosen(MoveMethod.Live, Inv($"GPU-P live-migration prerequisites met on {host.Node} (OS build {os.Build}, NVIDIA vGPU 18 or later); the target's are checked by the cluster"));
                }

                var missing = string.Join("; ", problems);
                return command.WhenLiveImpossible == LiveMigrationFallback.StopMoveStart
                    ? Chosen(MoveMethod.StopMoveStart, $"live migration not possible: {missing}")
                    : throw new CommandStepException(CommandErrorCodes.LiveMigrationUnsupported, $"VM {command.VmName} can't live-migrate: {missing}. Ask for stop-move-start to move it with a restart.");
            default:
                throw new CommandStepException(CommandErrorCodes.VmBusy, $"VM {command.VmName} is {before}; wait until it is Running or Off before moving it.");
        }
    }

    private async Task<StepResult> MoveGroupAsync(string groupName, string source, string target, MoveMethod method, CancellationToken cancellationToken)
    {
        var group = await host.Groups.GetAsync(groupName, cancellationToken)
            ?? throw new CommandStepException(CommandErrorCodes.VmNotClustered, $"Cluster group {groupName} is gone.");
        if (group.IsOwnedBy(target))
        {
            return StepResult.AlreadyDone($"cluster group {groupName} is on {target}");
        }

        var live = method == MoveMethod.Live;
        try
        {
            await host.Groups.MoveAsync(group, target, live, cancellationToken);
        }
        catch (CimException e) when (e.Code is not (CimErrors.Unavailable or CimErrors.AccessDenied or ClusterGroups.ClusterMoveTimeout))
        {
            var win32 = ClusterWin32Errors.Win32Of(e.NativeCode);
            var code = win32 switch
            {
                ClusterWin32Errors.HostNodeNotAvailable or ClusterWin32Errors.ClusterNodeDown or ClusterWin32Errors.ClusterNodePaused => CommandErrorCodes.TargetNodeUnavailable,
                ClusterWin32Errors.ClusterNodeNotFound => CommandErrorCodes.UnknownNode,
                ClusterWin32Errors.NodeCantHostResource => CommandErrorCodes.NotPossibleOwner,
                ClusterWin32Errors.NotSupported when live => CommandErrorCodes.LiveMigrationUnsupported,
                _ => CommandErrorCodes.ClusterMoveFailed,
            };
            throw new CommandStepException(code, $"The cluster did not move group {groupName} from {source} to {target} ({(live ? "live migration" : "quick move")}): {e.Message}", hyperVErrorCode: e.NativeCode, hyperVErrorDescription: e.Message, innerException: e);
        }

        return StepResult.Done($"cluster group {groupName} moved from {source} to {target} by {(live ? "live migration" : "a quick move")}");
    }

    /// <summary>Brings the VM's group online wherever it is; false when it was online already.</summary>
    private async Task<bool> StartWhereItIsAsync(string groupName, CancellationToken cancellationToken)
    {
        var group = await host.Groups.GetAsync(groupName, cancellationToken)
            ?? throw new CommandStepException(CommandErrorCodes.VmNotClustered, $"Cluster group {groupName} is gone.");
        return await host.Groups.BringOnlineAsync(group, cancellationToken);
    }

    private async Task<VmPlacement> PlacementAsync(MoveVm command, string source, MoveMethod method, string reason, CancellationToken cancellationToken)
    {
        var resource = await host.Cluster.FindVmResourceAsync(command.VmId, command.VmName, cancellationToken)
            ?? throw new CommandStepException(CommandErrorCodes.VerificationFailed, $"VM {command.VmName} ({command.VmId}) has no cluster resource after the move.");
        var node = resource.OwnerNode ?? string.Empty;
        if (!Same(node, command.TargetNode))
        {
            throw new CommandStepException(CommandErrorCodes.VerificationFailed, $"VM {command.VmName} is on {node} after the move, not on {command.TargetNode}.", kind: StepKind.Change);
        }

        var power = resource.State == ClusterVmResource.Online ? VmPowerState.Running : VmPowerState.Off;
        return new VmPlacement(command.VmName, command.VmId, source, node, method, power, reason);
    }

    private static StepResult Chosen(MoveMethod method, string reason) => StepResult.Done($"{method}: {reason}", $"{method}\n{reason}");

    private static string Memo(string group, string node, string state) => $"{group}\n{node}\n{state}";

    private static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
