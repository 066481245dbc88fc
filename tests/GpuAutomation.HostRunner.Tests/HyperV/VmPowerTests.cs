using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tests.HyperV;

public sealed class VmPowerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Starts_an_off_vm_and_starting_a_running_one_is_a_no_op()
    {
        var cluster = Emulator.Cluster(jobDelayMs: 20);
        var power = Emulator.Host(cluster).Power;

        Assert.True(await power.StartAsync(Emulator.Vm2, None));
        Assert.False(await power.StartAsync(Emulator.Vm2, None));

        Assert.Equal(VmPowerState.Running, cluster.Vm(Emulator.Vm2).PowerState);
    }

    [Fact]
    public async Task Turns_off_a_running_vm()
    {
        var cluster = Emulator.Cluster();
        var power = Emulator.Host(cluster).Power;

        Assert.True(await power.TurnOffAsync(Emulator.Vm1, None));
        Assert.False(await power.TurnOffAsync(Emulator.Vm1, None));

        Assert.Equal(VmPowerState.Off, cluster.Vm(Emulator.Vm1).PowerState);
    }

    [Fact]
    public async Task A_guest_with_the_shutdown_service_shuts_down_gracefully()
    {
        var cluster = Emulator.Cluster();
        cluster.GuestShutdownDelay = TimeSpan.FromMilliseconds(50);

        var outcome = await Emulator.Host(cluster).Power.ShutdownAsync(Emulator.Vm1, None);

        Assert.Equal(ShutdownOutcome.ShutDown, outcome);
        Assert.Equal(VmPowerState.Off, cluster.Vm(Emulator.Vm1).PowerState);
    }

    [Fact]
    public async Task A_guest_without_the_shutdown_service_is_turned_off()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPowerState(Emulator.Vm3, VmPowerState.Running);

        var outcome = await Emulator.Host(cluster).Power.ShutdownAsync(Emulator.Vm3, None);

        Assert.Equal(ShutdownOutcome.TurnedOff, outcome);
        Assert.Equal(VmPowerState.Off, cluster.Vm(Emulator.Vm3).PowerState);
    }

    [Fact]
    public async Task A_guest_that_does_not_shut_down_in_time_is_turned_off()
    {
        var cluster = Emulator.Cluster();
        cluster.GuestShutdownDelay = TimeSpan.FromHours(1);
        var options = Emulator.Fast with { ShutdownTimeout = TimeSpan.FromMilliseconds(100) };

        var outcome = await Emulator.Host(cluster, options: options).Power.ShutdownAsync(Emulator.Vm1, None);

        Assert.Equal(ShutdownOutcome.TurnedOffAfterTimeout, outcome);
        Assert.Equal(VmPowerState.Off, cluster.Vm(Emulator.Vm1).PowerState);
    }

    [Fact]
    public async Task A_hanging_shutdown_call_falls_back_to_turn_off_after_the_timeout()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("InitiateShutdown", EmulatedFaultKind.Hang));
        var options = Emulator.Fast with { ShutdownTimeout = TimeSpan.FromMilliseconds(100) };

        var outcome = await Emulator.Host(cluster, options: options).Power.ShutdownAsync(Emulator.Vm1, None);

        Assert.Equal(ShutdownOutcome.TurnedOffAfterTimeout, outcome);
        Assert.Equal(VmPowerState.Off, cluster.Vm(Emulator.Vm1).PowerState);
    }

    [Fact]
    public async Task A_refused_shutdown_falls_back_to_turn_off()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("InitiateShutdown", EmulatedFaultKind.Fail, ReturnValue: HyperVReturnCodes.ShutdownLocked));

        var outcome = await Emulator.Host(cluster).Power.ShutdownAsync(Emulator.Vm1, None);

        Assert.Equal(ShutdownOutcome.TurnedOff, outcome);
        Assert.Equal(VmPowerState.Off, cluster.Vm(Emulator.Vm1).PowerState);
    }

    [Fact]
    public async Task Shutting_down_an_off_vm_does_nothing()
        => Assert.Equal(ShutdownOutcome.AlreadyOff, await Emulator.Host(Emulator.Cluster()).Power.ShutdownAsync(Emulator.Vm2, None));

    [Fact]
    public async Task Waiting_for_a_state_the_vm_never_reaches_times_out_naming_the_state()
    {
        var power = Emulator.Host(Emulator.Cluster()).Power;

        var error = await Assert.ThrowsAsync<CimException>(() => power.WaitForStateAsync(Emulator.Vm2, VmPowerState.Running, TimeSpan.FromMilliseconds(50), None));

        Assert.Equal(CimErrors.StateTimeout, error.Code);
        Assert.Contains("it is Off", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_emulator_answers_state_changes_with_hyper_v_codes()
    {
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var host = Emulator.Host(cluster);
        var vm1 = await host.Vms.GetAsync(Emulator.Vm1, None);

        async Task<uint> Request(ushort state)
            => (await cim.InvokeMethodAsync(vm1.Path, "RequestStateChange", new Dictionary<string, CimValue?> { ["RequestedState"] = new CimValue.UInt16(state) }, None)).ReturnValue;

        Assert.Equal(HyperVReturnCodes.InvalidStateForOperation, await Request(2));
        Assert.Equal(HyperVReturnCodes.StateChangeNotSupported, await Request(4));
        // A VM with a GPU partition can't be saved.
        Assert.Equal(HyperVReturnCodes.InvalidStateForOperation, await Request(6));
        Assert.Equal(HyperVReturnCodes.StateChangeInvalidParameter, await Request(77));
        Assert.Equal(HyperVReturnCodes.JobStarted, await Request(3));
    }
}
