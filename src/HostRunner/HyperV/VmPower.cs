using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>Start, turn off, shut down gracefully (with fall-back to turn-off) and wait for a VM power state.</summary>
public sealed partial class VmPower(ICimClient cim, VirtualMachines vms, HyperVJobs jobs, HyperVOptions options, TimeProvider time, ILogger<VmPower> logger)
{
    public const ushort RequestStart = 2;
    public const ushort RequestTurnOff = 3;

    /// <summary>Ensures the VM runs; returns whether it had to be started.</summary>
    public async Task<bool> StartAsync(Guid vmId, CancellationToken cancellationToken)
    {
        var vm = await vms.GetAsync(vmId, cancellationToken);
        if (vm.PowerState == VmPowerState.Running)
        {
            return false;
        }

        await RequestStateAsync(vm, RequestStart, "Starting", cancellationToken);
        await WaitForStateAsync(vmId, VmPowerState.Running, options.StateTimeout, cancellationToken);
        LogStarted(vm.Name, vmId);
        return true;
    }

    /// <summary>Ensures the VM is off by a hard turn-off; returns whether it had to be turned off.</summary>
    public async Task<bool> TurnOffAsync(Guid vmId, CancellationToken cancellationToken)
    {
        var vm = await vms.GetAsync(vmId, cancellationToken);
        if (vm.PowerState == VmPowerState.Off)
        {
            return false;
        }

        await RequestStateAsync(vm, RequestTurnOff, "Turning off", cancellationToken);
        await WaitForStateAsync(vmId, VmPowerState.Off, options.StateTimeout, cancellationToken);
        LogTurnedOff(vm.Name, vmId);
        return true;
    }

    /// <summary>
    /// Ensures the VM is off, gracefully where possible: Msvm_ShutdownComponent.InitiateShutdown, then wait up to
    /// <see cref="HyperVOptions.ShutdownTimeout"/>; a guest without the shutdown service, or one that doesn't stop in
    /// time, is turned off.
    /// </summary>
    public async Task<ShutdownOutcome> ShutdownAsync(Guid vmId, CancellationToken cancellationToken)
    {
        var vm = await vms.GetAsync(vmId, cancellationToken);
        if (vm.PowerState == VmPowerState.Off)
        {
            return ShutdownOutcome.AlreadyOff;
        }

        var components = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(HyperVClasses.ShutdownComponent, Wql.Equal("SystemName", vmId.ToString("D").ToUpperInvariant())),
            cancellationToken);
        if (components.Count == 0 || vm.PowerState != VmPowerState.Running)
        {
            LogNoGracefulShutdown(vm.Name, vmId, vm.PowerState, components.Count > 0);
            await TurnOffAsync(vmId, cancellationToken);
            return ShutdownOutcome.TurnedOff;
        }

        using var timeout = new CancellationTokenSource(options.ShutdownTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var result = await cim.InvokeMethodAsync(
                components[0].Path,
                "InitiateShutdown",
                new Dictionary<string, CimValue?>
                {
                    // Force avoids 32781 (locked by an interactive session): the guest still shuts down cleanly.
                    ["Force"] = new CimValue.Boolean(true),
                    ["Reason"] = new CimValue.Text("GPU partition change by GPU partition automation"),
                },
                linked.Token);
            if (result.ReturnValue != HyperVReturnCodes.AlreadyShuttingDown)
            {
                await jobs.CompleteAsync(result, $"Shutting down VM '{vm.Name}'", linked.Token);
            }

            await WaitForStateAsync(vmId, VmPowerState.Off, Timeout.InfiniteTimeSpan, linked.Token);
            LogShutDown(vm.Name, vmId);
            return ShutdownOutcome.ShutDown;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogShutdownTimedOut(vm.Name, vmId, options.ShutdownTimeout);
            await TurnOffAsync(vmId, cancellationToken);
            return ShutdownOutcome.TurnedOffAfterTimeout;
        }
        catch (CimException e) when (e.Code is not CimErrors.VmNotFound)
        {
            LogShutdownFailed(e, vm.Name, vmId, e.Code);
            await TurnOffAsync(vmId, cancellationToken);
            return ShutdownOutcome.TurnedOff;
        }
    }

    /// <summary>Polls EnabledState until the VM is in <paramref name="target"/>; <see cref="CimErrors.StateTimeout"/> after <paramref name="timeout"/>.</summary>
    public async Task<VirtualMachine> WaitForStateAsync(Guid vmId, VmPowerState target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : time.GetUtcNow() + timeout;
        while (true)
        {
            var vm = await vms.GetAsync(vmId, cancellationToken);
            if (vm.PowerState == target)
            {
                return vm;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new CimException(CimErrors.StateTimeout, $"VM '{vm.Name}' ({vmId}) did not reach {target} within {timeout}; it is {vm.PowerState}.");
            }

            await Task.Delay(options.StatePollInterval, time, cancellationToken);
        }
    }

    private async Task RequestStateAsync(VirtualMachine vm, ushort state, string action, CancellationToken cancellationToken)
    {
        var result = await cim.InvokeMethodAsync(
            vm.Path,
            "RequestStateChange",
            new Dictionary<string, CimValue?> { ["RequestedState"] = new CimValue.UInt16(state) },
            cancellationToken);
        await jobs.CompleteAsync(result, $"{action} VM '{vm.Name}'", cancellationToken);
    }

    [LoggerMessage(EventId = 1310, Level = LogLevel.Information, Message = "Started VM {VmName} ({VmId})")]
    private partial void LogStarted(string vmName, Guid vmId);

    [LoggerMessage(EventId = 1311, Level = LogLevel.Information, Message = "Turned off VM {VmName} ({VmId})")]
    private partial void LogTurnedOff(string vmName, Guid vmId);

    [LoggerMessage(EventId = 1312, Level = LogLevel.Information, Message = "VM {VmName} ({VmId}) can't shut down gracefully ({PowerState}, shutdown service {Present}): turning it off")]
    private partial void LogNoGracefulShutdown(string vmName, Guid vmId, VmPowerState powerState, bool present);

    [LoggerMessage(EventId = 1313, Level = LogLevel.Information, Message = "VM {VmName} ({VmId}) shut down gracefully")]
    private partial void LogShutDown(string vmName, Guid vmId);

    [LoggerMessage(EventId = 1314, Level = LogLevel.Warning, Message = "VM {VmName} ({VmId}) did not shut down within {Timeout}: turning it off")]
    private partial void LogShutdownTimedOut(string vmName, Guid vmId, TimeSpan timeout);

    [LoggerMessage(EventId = 1315, Level = LogLevel.Warning, Message = "Graceful shutdown of VM {VmName} ({VmId}) failed with {Code}: turning it off")]
    private partial void LogShutdownFailed(Exception exception, string vmName, Guid vmId, string code);
}
