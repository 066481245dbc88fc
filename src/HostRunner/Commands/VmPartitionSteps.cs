using GpuAutomation.Contracts.Reports;
using System.Globalization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Commands;

/// <summary>
/// AssignPartition and UnassignPartition as reconcile steps: resolve the VM, check, ensure OfflineAction,
/// remember the power state, ensure the VM off, ensure the adapter present (or absent), verify, ensure the power
/// state wanted afterwards. A failure once the VM was stopped brings it back to the state it had.
/// </summary>
internal sealed class VmPartitionSteps(HyperVHost host)
{
    public const string ResolveVm = "resolve-vm";
    public const string CheckAssignable = "check-assignable";
    public const string CheckAssigned = "check-assigned";
    public const string EnsureOfflineAction = "ensure-offline-action";
    public const string RecordPowerState = "record-power-state";
    public const string EnsureVmOff = "ensure-vm-off";
    public const string EnsureGpuVmSettings = "ensure-gpu-vm-settings";
    public const string AddAdapter = "add-partition-adapter";
    public const string VerifyAdapter = "verify-partition-adapter";
    public const string RemoveAdapter = "remove-partition-adapter";
    public const string VerifyNoAdapter = "verify-no-partition-adapter";
    public const string EnsurePowerAfter = "ensure-vm-power-after";
    public const string RestorePowerState = "restore-power-state";

    public async Task AssignAsync(CommandRun run, AssignPartition command, CancellationToken cancellationToken)
    {
        var vmId = await ResolveAsync(run, command.VmName, command.VmId, cancellationToken);
        await run.StepAsync(CheckAssignable, StepKind.Check, ct => CheckAssignableAsync(vmId, command.GpuInstancePath, ct), cancellationToken);
        await ChangeWhileOffAsync(
            run,
            vmId,
            command.VmName,
            command.OfflineAction,
            command.PowerAfter,
            async ct =>
            {
                if (host.Options.EnsureGpuVmSettings)
                {
                    await run.StepAsync(EnsureGpuVmSettings, StepKind.Change, async c =>
                        await host.Adapters.EnsureMemorySettingsAsync(vmId, host.Options.GpuVmSettings, c) is { } written
                            ? StepResult.Done($"raised GPU-P VM settings: cache types {written.GuestControlledCacheTypes?.ToString() ?? "kept"}, low MMIO {written.LowMmioGapMb?.ToString(CultureInfo.InvariantCulture) ?? "kept"} MB, high MMIO {written.HighMmioGapMb?.ToString(CultureInfo.InvariantCulture) ?? "kept"} MB")
                            : StepResult.AlreadyDone("GPU-P VM settings already sufficient"), ct);
                }

                await run.StepAsync(AddAdapter, StepKind.Change, async c =>
                {
                    var existing = await host.Adapters.ListAsync(vmId, c);
                    if (existing.Count > 0)
                    {
                        return StepResult.AlreadyDone($"adapter {existing[0].AdapterId} present");
                    }

                    var added = await host.Adapters.AddAsync(vmId, command.GpuInstancePath, null, c);
                    return StepResult.Done($"added adapter {added.AdapterId}");
                }, ct);
                await run.StepAsync(VerifyAdapter, StepKind.Change, async c =>
                {
                    var adapters = await host.Adapters.ListAsync(vmId, c);
                    if (adapters.Count != 1)
                    {
                        throw new CommandStepException(CommandErrorCodes.VerificationFailed, $"VM {command.VmName} ({vmId}) has {adapters.Count} GPU partition adapters after the add; expected exactly 1.");
                    }

                    var device = adapters[0].Device;
                    return StepResult.Done(device is null
                        ? $"adapter {adapters[0].AdapterId}; partition assigned when the VM starts"
                        : $"adapter {adapters[0].AdapterId} on GPU {device.GpuInstancePath}, partition {device.PartitionId}");
                }, ct);
            },
            cancellationToken);
    }

    public async Task UnassignAsync(CommandRun run, UnassignPartition command, CancellationToken cancellationToken)
    {
        var vmId = await ResolveAsync(run, command.VmName, command.VmId, cancellationToken);
        var memo = await run.StepAsync(CheckAssigned, StepKind.Check, async ct =>
        {
            var adapters = await host.Adapters.ListAsync(vmId, ct);
            return adapters.Count == 0
                ? StepResult.AlreadyDone("the VM has no GPU partition adapter", "none")
                : StepResult.Done($"adapter {adapters[0].AdapterId}", "present");
        }, cancellationToken);
        if (memo == "none")
        {
            // Desired state already holds: nothing to stop the VM for.
            return;
        }

        await ChangeWhileOffAsync(
            run,
            vmId,
            command.VmName,
            command.OfflineAction,
            command.PowerAfter,
            async ct =>
            {
                await run.StepAsync(RemoveAdapter, StepKind.Change, async c =>
                {
                    var adapters = await host.Adapters.ListAsync(vmId, c);
                    if (adapters.Count == 0)
                    {
                        return StepResult.AlreadyDone("no adapter left");
                    }

                    foreach (var adapter in adapters)
                    {
                        await host.Adapters.RemoveAsync(vmId, adapter.AdapterId, c);
                    }

                    return StepResult.Done($"removed {string.Join(", ", adapters.Select(a => a.AdapterId))}");
                }, ct);
                await run.StepAsync(VerifyNoAdapter, StepKind.Change, async c =>
                {
                    var adapters = await host.Adapters.ListAsync(vmId, c);
                    return adapters.Count == 0
                        ? StepResult.Done("no GPU partition adapter")
                        : throw new CommandStepException(CommandErrorCodes.VerificationFailed, $"VM {command.VmName} ({vmId}) still has {adapters.Count} GPU partition adapter(s) after the removal.");
                }, ct);
            },
            cancellationToken);
    }

    /// <summary>The VM by id when the command has one, else by its unique name; journaled so a resume acts on the same VM.</summary>
    public async Task<Guid> ResolveAsync(CommandRun run, string vmName, Guid? vmId, CancellationToken cancellationToken)
    {
        var memo = await run.StepAsync(ResolveVm, StepKind.Check, async ct =>
        {
            var vm = vmId is { } id
                ? await host.Vms.GetAsync(id, ct)
                : await host.Vms.FindByNameAsync(vmName, ct);
            return StepResult.Done($"VM {vm.Name} ({vm.Id}) is {vm.PowerState} on {host.Node}", vm.Id.ToString("D"));
        }, cancellationToken);
        return Guid.Parse(memo!);
    }

    private async Task<StepResult> CheckAssignableAsync(Guid vmId, string? gpuInstancePath, CancellationToken cancellationToken)
    {
        var inventory = await host.Inventory.ReadAsync(cancellationToken);
        var vm = inventory.Vms.First(v => v.Id == vmId);
        if (vm.HasPartition)
        {
            throw new CommandStepException(CommandErrorCodes.VmHasPartition, $"VM {vm.Name} ({vm.Id}) already has GPU partition adapter {vm.PartitionAdapters[0].AdapterId}; a VM gets at most one.");
        }

        if (gpuInstancePath is not null)
        {
            var gpu = inventory.Gpus.FirstOrDefault(g => string.Equals(g.InstancePath, gpuInstancePath, StringComparison.OrdinalIgnoreCase))
                ?? throw new CommandStepException(CommandErrorCodes.UnknownGpu, $"No GPU {gpuInstancePath} on node {host.Node}.");
            if (gpu.AssignedStatus != GpuAssignedStatus.Partitioned)
            {
                throw new CommandStepException(CommandErrorCodes.GpuNotPartitioned, $"GPU {gpu.Model} {gpuInstancePath} on node {host.Node} is {gpu.AssignedStatus}, not partitioned: it can't give a partition.");
            }

            return gpu.FreePartitions > 0
                ? StepResult.Done($"GPU {gpuInstancePath} has {gpu.FreePartitions} free of {gpu.PartitionCount} partitions")
                : throw new CommandStepException(CommandErrorCodes.NoFreePartition, $"GPU {gpu.Model} {gpuInstancePath} on node {host.Node} has no free partition: all {gpu.PartitionCount} are assigned.");
        }

        var partitioned = inventory.Gpus.Where(g => g.AssignedStatus == GpuAssignedStatus.Partitioned).ToList();
        var free = partitioned.Sum(g => g.FreePartitions);
        return free > 0
            ? StepResult.Done(string.Create(CultureInfo.InvariantCulture, $"{free} free partition(s) on {partitioned.Count} partitioned GPU(s)"))
            : throw new CommandStepException(
                CommandErrorCodes.NoFreePartition,
                string.Create(CultureInfo.InvariantCulture, $"No free GPU partition on node {host.Node}: {partitioned.Count} partitioned GPU(s) with {partitioned.Sum(g => g.PartitionCount)} partitions, all assigned."));
    }

    private async Task ChangeWhileOffAsync(
        CommandRun run,
        Guid vmId,
        string vmName,
        OfflineAction offlineAction,
        PowerAfterChange powerAfter,
        Func<CancellationToken, Task> change,
        CancellationToken cancellationToken)
    {
        await run.StepAsync(EnsureOfflineAction, StepKind.Change, async ct =>
        {
            var resource = await host.Cluster.FindVmResourceAsync(vmId, vmName, ct);
            if (resource is null)
            {
                return StepResult.AlreadyDone("the VM is not clustered");
            }

            return await host.Cluster.SetOfflineActionAsync(resource, offlineAction, ct)
                ? StepResult.Done($"OfflineAction {resource.OfflineAction} -> {offlineAction}")
                : StepResult.AlreadyDone($"OfflineAction is {offlineAction}");
        }, cancellationToken);

        var before = await run.StepAsync(RecordPowerState, StepKind.Check, async ct =>
        {
            var vm = await host.Vms.GetAsync(vmId, ct);
            if (vm.PowerState is VmPowerState.Saved or VmPowerState.Paused or VmPowerState.Saving or VmPowerState.Pausing or VmPowerState.Resuming)
            {
                // Turning off a saved or paused VM would throw its memory state away: leave that to the operator.
                throw new CommandStepException(CommandErrorCodes.VmBusy, $"VM {vm.Name} ({vmId}) is {vm.PowerState}; resume or shut it down before changing its GPU partition.");
            }

            return StepResult.Done($"VM was {vm.PowerState}", vm.PowerState == VmPowerState.Off ? nameof(VmPowerState.Off) : nameof(VmPowerState.Running));
        }, cancellationToken);
        var wasRunning = before == nameof(VmPowerState.Running);

        try
        {
            await run.StepAsync(EnsureVmOff, StepKind.Change, async ct =>
            {
                var outcome = await host.Power.ShutdownAsync(vmId, ct);
                return outcome == ShutdownOutcome.AlreadyOff ? StepResult.AlreadyDone("VM is Off") : StepResult.Done(outcome.ToString());
            }, cancellationToken);
            await change(cancellationToken);
        }
        catch (CommandStepException) when (wasRunning)
        {
            await run.StepAsync(RestorePowerState, StepKind.Change, async ct =>
                await host.Power.StartAsync(vmId, ct)
                    ? StepResult.Done("VM started again, as it was running before")
                    : StepResult.AlreadyDone("VM is Running"), cancellationToken);
            throw;
        }

        var start = powerAfter switch
        {
            PowerAfterChange.Start => true,
            PowerAfterChange.LeaveOff => false,
            _ => wasRunning,
        };
        await run.StepAsync(EnsurePowerAfter, StepKind.Change, async ct =>
        {
            if (!start)
            {
                return StepResult.AlreadyDone("VM stays Off");
            }

            var started = await host.Power.StartAsync(vmId, ct);
            var vm = await host.Vms.GetAsync(vmId, ct);
            return vm.PowerState == VmPowerState.Running
                ? started ? StepResult.Done("VM started and Running") : StepResult.AlreadyDone("VM is Running")
                : throw new CommandStepException(CommandErrorCodes.VerificationFailed, $"VM {vm.Name} ({vmId}) is {vm.PowerState} after the start; expected Running.");
        }, cancellationToken);
    }
}
