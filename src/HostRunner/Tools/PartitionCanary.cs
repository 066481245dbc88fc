using System.Globalization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Commands;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// <c>HostRunner canary --vm &lt;test VM&gt;</c>: assigns one GPU partition to a test VM and takes it away again
/// through the agent's own command path (<see cref="CommandExecutor"/> with AssignPartition, then UnassignPartition:
/// the same steps, journal and CIM code), printing every step and, when <see cref="HyperVHost.Cim"/> is a
/// <see cref="TracingCimClient"/>, every WMI call. The unassign leaves the VM off so the canary can put back the
/// GPU-P VM settings the assign raised (they can only change while the VM is off) before it starts the VM again if it
/// ran; then it puts the cluster resource's OfflineAction back and compares the VM with how it found it. The smallest real end-to-end proof before the agent is enabled.
/// </summary>
public sealed class PartitionCanary(HyperVHost host, string journalFolder, TextWriter output, TimeProvider? time = null)
{
    /// <summary>The cluster name the canary's commands are addressed to; the executor only compares it with its own.</summary>
    private const string CanaryCluster = "canary";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>0 assigned, unassigned and the VM left as found; 1 a step failed or the VM differs afterwards; 2 refused (nothing was changed).</summary>
    public async Task<int> RunAsync(string vmName, bool allowRestart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vmName);
        VmSnapshot before;
        try
        {
            before = await SnapshotAsync(await host.Vms.FindByNameAsync(vmName, cancellationToken), cancellationToken);
        }
        catch (CimException e)
        {
            await output.WriteLineAsync($"canary: can't run: {e.Code}: {e.Message}");
            return 2;
        }

        await output.WriteLineAsync($"canary: VM {before.Name} ({before.Id}) on {host.Node}: {before.PowerState}, {before.Adapters} GPU partition adapter(s), {(before.OfflineAction is { } a ? $"OfflineAction {a}" : "not clustered")}");
        if (before.Adapters > 0)
        {
            await output.WriteLineAsync("canary: refused: the VM already has a GPU partition adapter; pick a test VM without one (the canary must not take a partition away from a VM that uses it).");
            return 2;
        }

        if (before.PowerState != VmPowerState.Off && !allowRestart)
        {
            await output.WriteLineAsync($"canary: refused: the VM is {before.PowerState}; the agent turns a VM off to add a partition and starts it again. Stop it first, or pass --allow-restart.");
            return 2;
        }

        var folder = Path.Combine(journalFolder, "canary-" + Guid.NewGuid().ToString("N"));
        var failed = false;
        try
        {
            using var journal = CommandJournal.Open(folder, _time);
            var executor = new CommandExecutor(host, CanaryCluster, journal, _time, NullLogger<CommandExecutor>.Instance);
            failed |= !await RunCommandAsync(executor, journal, new AssignPartition(before.Name, before.Id, OfflineAction: OfflineAction.ForceShutdown), cancellationToken);

            // Also after a failed assign: a half-added adapter is taken away by the same path the agent would use.
            var present = (await host.Adapters.ListAsync(before.Id, cancellationToken)).Count;
            if (present > 0)
            {
                failed |= !await RunCommandAsync(executor, journal, new UnassignPartition(before.Name, before.Id, OfflineAction.ForceShutdown, PowerAfterChange.LeaveOff), cancellationToken);
            }
            else
            {
                await output.WriteLineAsync("canary: no GPU partition adapter present: nothing to unassign.");
            }

            var now = await SnapshotAsync(before.Id, cancellationToken);
            if (now.Memory != before.Memory && now.PowerState == VmPowerState.Off)
            {
                await output.WriteLineAsync($"canary: putting the GPU-P VM settings back to {Describe(before.Memory)}");
                await host.Adapters.SetMemorySettingsAsync(before.Id, before.Memory, cancellationToken);
            }

            if (before.PowerState == VmPowerState.Running && now.PowerState != VmPowerState.Running)
            {
                await output.WriteLineAsync("canary: starting the VM again (it was running)");
                await host.Power.StartAsync(before.Id, cancellationToken);
            }

            if (before.OfflineAction is { } original && (await SnapshotAsync(before.Id, cancellationToken)).OfflineAction != original)
            {
                await output.WriteLineAsync($"canary: putting OfflineAction back to {original}");
                await host.Cluster.SetOfflineActionAsync(before.Id, before.Name, original, cancellationToken);
            }
        }
        catch (CimException e)
        {
            await output.WriteLineAsync($"canary: stopped by {e.Code}: {e.Message}");
            failed = true;
        }
        finally
        {
            TryDelete(folder);
        }

        return await ReportRemainsAsync(before, cancellationToken) && !failed ? 0 : 1;
    }

    private async Task<bool> RunCommandAsync(CommandExecutor executor, CommandJournal journal, IMessageBody body, CancellationToken cancellationToken)
    {
        var message = Message.Create(body, "canary-" + Guid.NewGuid().ToString("N"), CanaryCluster, host.Node, _time.GetUtcNow());
        await output.WriteLineAsync($"canary: == {message.Envelope.MessageType} ==");
        var command = journal.Receive(message);
        var result = await executor.ExecuteAsync(
            command,
            async (step, _) => await output.WriteLineAsync($"step {step.Name}: {step.Outcome}{(step.Detail is { Length: > 0 } d ? $" — {d}" : string.Empty)}"),
            cancellationToken);
        journal.Complete(command, result);
        if (result.Outcome == CommandOutcome.Succeeded)
        {
            await output.WriteLineAsync($"canary: {message.Envelope.MessageType} succeeded");
            return true;
        }

        var error = result.Error;
        await output.WriteLineAsync($"canary: {message.Envelope.MessageType} {result.Outcome} at step {error?.Step ?? "?"}: {error?.Code}: {error?.Message}{(error?.HyperVErrorCode is { } code ? $" (Hyper-V error {code})" : string.Empty)}");
        return false;
    }

    /// <summary>Prints what differs from how the VM was found; true when nothing does.</summary>
    private async Task<bool> ReportRemainsAsync(VmSnapshot before, CancellationToken cancellationToken)
    {
        VmSnapshot after;
        try
        {
            after = await SnapshotAsync(before.Id, cancellationToken);
        }
        catch (CimException e)
        {
            await output.WriteLineAsync($"canary: can't read the VM back ({e.Code}: {e.Message}); check it by hand (Get-VM, Get-VMGpuPartitionAdapter, Get-ClusterParameter OfflineAction).");
            return false;
        }

        var remains = new List<string>();
        if (after.Adapters != before.Adapters)
        {
            remains.Add($"{after.Adapters} GPU partition adapter(s) remain (Remove-VMGpuPartitionAdapter -VMName '{before.Name}')");
        }

        if (after.PowerState != before.PowerState)
        {
            remains.Add($"the VM is {after.PowerState}, it was {before.PowerState}");
        }

        if (after.Memory != before.Memory)
        {
            remains.Add($"GPU-P VM settings are {Describe(after.Memory)}, they were {Describe(before.Memory)} (Set-VM)");
        }

        if (after.OfflineAction != before.OfflineAction)
        {
            remains.Add($"OfflineAction is {after.OfflineAction}, it was {before.OfflineAction}");
        }

        await output.WriteLineAsync(remains.Count == 0
            ? $"canary: the VM is as it was found: {after.PowerState}, no GPU partition adapter, {(after.OfflineAction is { } a ? $"OfflineAction {a}" : "not clustered")}"
            : $"canary: NOT as found: {string.Join("; ", remains)}");
        return remains.Count == 0;
    }

    private async Task<VmSnapshot> SnapshotAsync(Guid id, CancellationToken cancellationToken)
        => await SnapshotAsync(await host.Vms.GetAsync(id, cancellationToken), cancellationToken);

    private async Task<VmSnapshot> SnapshotAsync(VirtualMachine vm, CancellationToken cancellationToken)
    {
        var adapters = await host.Adapters.ListAsync(vm.Id, cancellationToken);
        var resource = await host.Cluster.FindVmResourceAsync(vm.Id, vm.Name, cancellationToken);
        var memory = await host.Adapters.GetMemorySettingsAsync(vm.Id, cancellationToken);
        return new VmSnapshot(vm.Id, vm.Name, vm.PowerState, adapters.Count, resource?.OfflineAction, memory);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, true);
            }
        }
        catch (IOException)
        {
            // A journal left behind in the temp folder is harmless; the canary's result is what matters.
        }
    }

    private static string Describe(VmGpuMemorySettings memory)
        => string.Create(CultureInfo.InvariantCulture, $"GuestControlledCacheTypes {memory.GuestControlledCacheTypes}, LowMmioGapSize {memory.LowMmioGapMb} MB, HighMmioGapSize {memory.HighMmioGapMb} MB");

    private sealed record VmSnapshot(Guid Id, string Name, VmPowerState PowerState, int Adapters, OfflineAction? OfflineAction, VmGpuMemorySettings Memory);
}
